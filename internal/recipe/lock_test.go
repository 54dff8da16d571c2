package recipe

import (
	"bytes"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func sampleLock() *Lock {
	s := func(v string) Str { return Str{Value: v} }
	d := func(c string) Str { return s("sha256:" + strings.Repeat(c, 64)) }
	return &Lock{
		Target: s("demo"), Platform: s("linux/amd64"), Inputs: d("a"),
		Bases: []LockedBase{
			{Ref: s("macabox.test/maca-sim:3.0.0.5"), Source: s("oci-layout"), Digest: d("b")},
			{Ref: s("debian:12"), Source: s("registry"), Digest: d("c")},
		},
		Args: []LockedArg{{Name: s("VERSION"), Value: s("1.0")}, {Name: s("A"), Value: s("x: y # not a comment")}},
		Steps: []LockedStep{
			{ID: s("demo#1"), Kind: s("apt"), Inputs: d("d"), Packages: []LockedPackage{
				{Name: s("libc6"), Version: s("2.36-9+deb12u14"), Arch: s("amd64"), Archive: s("http://deb.debian.org/debian bookworm/main")},
				{Name: s("hello"), Version: s("2.10-3"), Arch: s("amd64")},
			}},
			{ID: s("demo#2"), Kind: s("pip"), Inputs: d("e"), Pip: &LockedPip{Version: s("23.0.1")}, Packages: []LockedPackage{
				{Name: s("probe"), Version: s("1.0"), SHA256: s(strings.Repeat("f", 64)), URL: s("http://127.0.0.1:1/probe-1.0.whl")},
			}},
			{ID: s("demo#3"), Kind: s("git"), Inputs: d("1"), Git: &LockedGit{URL: s("https://example.com/r.git"), Ref: s("main"), Commit: s(strings.Repeat("2", 40))}},
			{ID: s("demo#4"), Kind: s("env"), Inputs: d("3")},
		},
		Unlocked: []Unlocked{{Step: s("demo#5"), Pos: s("recipes/demo/demo.yaml:20:5"), Reason: s("run: curl")}},
	}
}

// TestLockRoundTrip: a lock encodes to sorted, stable bytes that read back
// to the same lock and encode to the same bytes again.
func TestLockRoundTrip(t *testing.T) {
	first, err := sampleLock().Encode()
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseLock("demo.lock.yaml", first)
	if err != nil {
		t.Fatalf("reading back:\n%s\n%v", first, err)
	}
	second, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("encoding is not stable:\n%s\n---\n%s", first, second)
	}
	text := string(first)
	if strings.Index(text, "debian:12") > strings.Index(text, "maca-sim") || strings.Index(text, "name: hello") > strings.Index(text, "name: libc6") {
		t.Errorf("lists are not sorted:\n%s", text)
	}
	if !strings.HasPrefix(text, "# Written by macabox lock") || !strings.Contains(text, "kind: Lock\n") {
		t.Errorf("header:\n%s", text)
	}
	if l.Steps[1].Packages[0].SHA256.Pos.Line == 0 {
		t.Error("positions were not kept")
	}
}

// TestLockProblemsArePositioned: a hand-edited lock gets file:line:col
// errors like a recipe, all at once.
func TestLockProblemsArePositioned(t *testing.T) {
	good, err := sampleLock().Encode()
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), strings.Repeat("f", 64), "nothex", 1)
	bad = strings.Replace(bad, "id: demo#2", "id: demo#1", 1)
	bad = strings.Replace(bad, "platform: linux/amd64", "platfrom: linux/amd64", 1)
	_, err = ParseLock("demo.lock.yaml", []byte(bad))
	if err == nil {
		t.Fatal("a broken lock was accepted")
	}
	msg := err.Error()
	for _, want := range []string{"demo.lock.yaml:", `field "platfrom": unknown field`, "listed twice", "sha256"} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
	for _, junk := range []string{"", "[]", "a: [", "kind: Lock\n---\nkind: Lock\n", "x\x00"} {
		if _, err := ParseLock("x.lock.yaml", []byte(junk)); err == nil {
			t.Errorf("%q was accepted", junk)
		}
	}
}

// TestLockSchemaAcceptsWrittenLocks: what Encode writes passes the
// generated schema, and a lock with an unknown field does not.
func TestLockSchemaAcceptsWrittenLocks(t *testing.T) {
	data, err := LockSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(LockSchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(LockSchemaID)
	if err != nil {
		t.Fatalf("the lock schema does not compile: %v", err)
	}
	written, err := sampleLock().Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range yamlDocs(t, written) {
		if err := s.Validate(v); err != nil {
			t.Errorf("a written lock fails the schema: %v", err)
		}
	}
	for _, v := range yamlDocs(t, append(written, []byte("surprise: 1\n")...)) {
		if err := s.Validate(v); err == nil {
			t.Error("the schema accepts an unknown field")
		}
	}
}
