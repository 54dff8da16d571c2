package builder

import (
	"context"
	"fmt"
	"io"
	gofs "io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  semver
		known bool
	}{
		{"v0.34.2", semver{0, 34}, true},
		{"0.13.0-rc1", semver{0, 13}, true},
		{"v0.8.2-0.20210615", semver{0, 8}, true},
		{"v0.0.0+unknown", semver{}, false},
		{"dev", semver{}, false},
		{"", semver{}, false},
	} {
		got, ok := parseVersion(tc.in)
		if got != tc.want || ok != tc.known {
			t.Errorf("parseVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.known)
		}
	}
}

func TestCheckRequest(t *testing.T) {
	epoch := int64(1)
	docker := capsForBuildkitd(semver{0, 8})
	docker.Docker = "20.10.24"
	docker.Exporters = []string{"moby", "local", "tar"}
	docker.CacheExport = []string{"inline"}
	docker.CacheImport = []string{"registry"}
	modern := capsForBuildkitd(semver{0, 34})
	old := capsForBuildkitd(semver{0, 12})

	for _, tc := range []struct {
		name string
		caps Capabilities
		req  Request
		want []string // substrings; none means no error
	}{
		{"modern reproducible", modern, Request{Epoch: &epoch, Outputs: []Output{{Type: OutputOCI, Dest: "x"}, {Type: OutputLoad}}}, nil},
		{"docker reproducible", docker, Request{Epoch: &epoch}, []string{"v0.13", "Docker 20.10.24", "v0.8", "--no-reproducible", "--builder"}},
		{"docker oci", docker, Request{Outputs: []Output{{Type: OutputOCI, Dest: "x"}}}, []string{"oci exporter", "only moby", "--load"}},
		{"docker push", docker, Request{Outputs: []Output{{Type: OutputPush}}}, []string{"image exporter", "docker push"}},
		{"docker load", docker, Request{Outputs: []Output{{Type: OutputLoad}}}, nil},
		{"docker cache", docker, Request{CacheTo: []CacheSpec{{Type: "local"}}}, []string{"cache-to type=local", "inline"}},
		{"docker named", docker, Request{Contexts: map[string]NamedContext{"base": {OCILayout: "d"}}}, []string{"v0.11", "base"}},
		{"old two outputs", old, Request{Outputs: []Output{{Type: OutputOCI, Dest: "x"}, {Type: OutputLoad}}}, []string{"2 outputs", "v0.13"}},
		{"old reproducible", old, Request{Epoch: &epoch}, []string{"BuildKit v0.12", "v0.13"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := "unix:///run/buildkit/buildkitd.sock"
			if tc.caps.Docker != "" {
				addr = DockerAddr
			}
			err := checkRequest(tc.caps, addr, tc.req)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if e := errorContains(err, tc.want...); e != nil {
				t.Fatal(e)
			}
		})
	}
}

func TestParseOutput(t *testing.T) {
	for in, want := range map[string]Output{
		"type=oci,dest=out":         {Type: OutputOCI, Dest: "out"},
		"type=docker,dest=img.tar":  {Type: OutputDocker, Dest: "img.tar"},
		"type=docker":               {Type: OutputLoad},
		"type=registry":             {Type: OutputPush},
		"type=oci, dest=a/b/c.tar ": {Type: OutputOCI, Dest: "a/b/c.tar"},
		// A quoted field may hold commas, as in buildx.
		`type=oci,"dest=a,b"`:      {Type: OutputOCI, Dest: "a,b"},
		`type=oci, "dest=out dir"`: {Type: OutputOCI, Dest: "out dir"},
	} {
		got, err := ParseOutput(in)
		if err != nil || got != want {
			t.Errorf("ParseOutput(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	// A quote inside an unquoted field is refused, as buildx refuses it,
	// rather than kept as part of the path.
	for _, bad := range []string{"", "dest=x", "type=oci", "type=tar,dest=x", "type=oci,dest", `type=oci,dest="a,b"`, `type=oci,"dest=a`} {
		if _, err := ParseOutput(bad); err == nil {
			t.Errorf("ParseOutput(%q) accepted", bad)
		}
	}
}

func TestParseSecretAndCache(t *testing.T) {
	s, err := ParseSecret("id=pip,src=/run/pip.conf")
	if err != nil || s != (Secret{ID: "pip", Src: "/run/pip.conf"}) {
		t.Errorf("got %+v, %v", s, err)
	}
	s, err = ParseSecret("type=env,id=tok,env=TOKEN")
	if err != nil || s != (Secret{ID: "tok", Env: "TOKEN"}) {
		t.Errorf("got %+v, %v", s, err)
	}
	s, err = ParseSecret(`id=pip,"src=/run/a,b.conf"`)
	if err != nil || s != (Secret{ID: "pip", Src: "/run/a,b.conf"}) {
		t.Errorf("quoted src: got %+v, %v", s, err)
	}
	for _, bad := range []string{"src=x", "id=x", "id=x,src=a,env=B", "id=x,type=ssh,src=a", `id=x,src="a,b"`} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
	c, err := ParseCache("type=registry,ref=127.0.0.1:5000/cache")
	if err != nil || c.Type != "registry" || c.Attrs["ref"] != "127.0.0.1:5000/cache" {
		t.Errorf("got %+v, %v", c, err)
	}
	if c, err := ParseCache(`type=local,"dest=/cache,x"`); err != nil || c.Attrs["dest"] != "/cache,x" {
		t.Errorf("quoted dest: got %+v, %v", c, err)
	}
	if _, err := ParseCache("type=gha"); err == nil {
		t.Error("ParseCache accepted type=gha")
	}
	e := cacheEntries([]CacheSpec{c}, true)
	if e[0].Attrs["mode"] != "max" || e[0].Attrs["registry.insecure"] != "true" {
		t.Errorf("cache export attrs %v", e[0].Attrs)
	}
}

func TestSecretsAttachableChecksEarly(t *testing.T) {
	lookup := func(string) (string, bool) { return "", false }
	if _, err := secretsAttachable([]Secret{{ID: "tok", Env: "NOPE"}}, lookup); errorContains(err, "tok", "NOPE") != nil {
		t.Errorf("unset variable: %v", err)
	}
	if _, err := secretsAttachable([]Secret{{ID: "f", Src: "/does/not/exist"}}, lookup); errorContains(err, `"f"`) != nil {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoopback(t *testing.T) {
	for ref, want := range map[string]bool{
		"127.0.0.1:5000/a/b:1": true,
		"localhost:5000/a":     true,
		"[::1]:5000/a":         true,
		"cr.metax-tech.com/a":  false,
		"debian:bookworm":      false,
	} {
		if got := isLoopbackRef(ref); got != want {
			t.Errorf("isLoopbackRef(%q) = %v", ref, got)
		}
	}
}

func TestContextFS(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := newFileContext(map[string]string{
		"b.txt":        write("1", "b", 0o600),
		"a/z.sh":       write("2", "zz", 0o700),
		"a.txt":        write("3", "a", 0o644),
		"a/sub/c.conf": write("4", "ccc", 0o644),
	}, nil, 42)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = c.Walk(context.Background(), "", func(p string, e gofs.DirEntry, err error) error {
		fi, _ := e.Info()
		got = append(got, p+" "+fi.Mode().String())
		if fi.ModTime().UnixNano() != 42 {
			t.Errorf("%s: mtime %v", p, fi.ModTime())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a drwxr-xr-x", "a/sub drwxr-xr-x", "a/sub/c.conf -rw-r--r--", "a/z.sh -rwxr-xr-x", "a.txt -rw-r--r--", "b.txt -rw-r--r--"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walk order and modes:\n got %q\nwant %q", got, want)
	}
	rc, err := c.Open("a/sub/c.conf")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "ccc" {
		t.Errorf("content %q", data)
	}
	if _, err := c.Open("elsewhere"); err == nil {
		t.Error("opened a file outside the context")
	}

	before := c.stamp
	c2, _ := newFileContext(map[string]string{"b.txt": filepath.Join(dir, "1"), "a/z.sh": filepath.Join(dir, "2"), "a.txt": filepath.Join(dir, "3"), "a/sub/c.conf": filepath.Join(dir, "4")}, nil, 42)
	if c2.stamp != before {
		t.Error("stamp changed without any change to the sources")
	}
	write("4", "ddd", 0o644)
	c3, _ := newFileContext(map[string]string{"b.txt": filepath.Join(dir, "1"), "a/z.sh": filepath.Join(dir, "2"), "a.txt": filepath.Join(dir, "3"), "a/sub/c.conf": filepath.Join(dir, "4")}, nil, 42)
	if c3.stamp == before {
		t.Error("stamp did not change after rewriting a source")
	}

	for _, bad := range []map[string]string{
		{"../x": filepath.Join(dir, "1")},
		{"/abs": filepath.Join(dir, "1")},
		{"d": dir},
		{"x": filepath.Join(dir, "missing")},
		{"a": filepath.Join(dir, "1"), "a/b": filepath.Join(dir, "2")},
	} {
		if _, err := newFileContext(bad, nil, 0); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}

// TestContextFSContents: files given by their bytes (the catalog's, which
// are nowhere on disk) sit beside files on disk, always with mode 0644, and
// the session key follows their content.
func TestContextFSContents(t *testing.T) {
	disk := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(disk, []byte("echo"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"recipes/a/run.sh": disk}
	c, err := newFileContext(files, map[string][]byte{"recipes/b/x.py": []byte("print(1)")}, 7)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = c.Walk(context.Background(), "", func(p string, e gofs.DirEntry, err error) error {
		fi, _ := e.Info()
		got = append(got, fmt.Sprintf("%s %s %d", p, fi.Mode(), fi.Size()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"recipes drwxr-xr-x 0", "recipes/a drwxr-xr-x 0", "recipes/a/run.sh -rwxr-xr-x 4", "recipes/b drwxr-xr-x 0", "recipes/b/x.py -rw-r--r-- 8"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("walk:\n got %q\nwant %q", got, want)
	}
	rc, err := c.Open("recipes/b/x.py")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "print(1)" {
		t.Errorf("content %q", data)
	}
	same, _ := newFileContext(files, map[string][]byte{"recipes/b/x.py": []byte("print(1)")}, 7)
	other, _ := newFileContext(files, map[string][]byte{"recipes/b/x.py": []byte("print(2)")}, 7)
	if same.stamp != c.stamp || other.stamp == c.stamp {
		t.Error("the stamp must change with the content of a file given by its bytes, and only then")
	}
	if _, err := newFileContext(files, map[string][]byte{"recipes/a/run.sh": nil}, 7); err == nil {
		t.Error("accepted a name given both as a file and by content")
	}
}

func TestStepErrorMessage(t *testing.T) {
	e := &StepError{
		Origin:  "recipes/x.yaml:12",
		Line:    7,
		Command: "RUN make",
		Log:     []string{"cc -o x x.c", "x.c:1: error"},
		Err:     errString(`failed to solve: process "/bin/sh -c make" did not complete successfully: exit code: 2`),
	}
	want := "recipes/x.yaml:12: RUN make: exit code: 2\nlast 2 lines of its output:\n  cc -o x x.c\n  x.c:1: error"
	if got := e.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	e.Origin = ""
	if got := e.Error(); !strings.HasPrefix(got, "Dockerfile:7: RUN make") {
		t.Errorf("without origin: %s", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// TestRequestPinsTheFrontend: every solve carries the frontend attribute
// that stops dockerfile.v0 from handing the build to an image a syntax
// directive or a BUILDKIT_SYNTAX build argument names.
func TestRequestPinsTheFrontend(t *testing.T) {
	b := &Builder{}
	opt, _, err := b.solveOpt(context.Background(), Request{
		Dockerfile: []byte("# syntax=example.com/frontend:1\nFROM scratch\n"),
		Args:       map[string]string{"BUILDKIT_SYNTAX": "example.com/frontend:2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := opt.FrontendAttrs["cmdline"]; !ok || opt.Frontend != "dockerfile.v0" {
		t.Errorf("frontend %s with attributes %v: want dockerfile.v0 with cmdline set (got %q)", opt.Frontend, opt.FrontendAttrs, v)
	}
}
