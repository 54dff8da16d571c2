package world

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The keys below are what the shell version of scripts/testenv.sh computed
// for the same inputs. A cache made by it must keep its keys, or the first
// run after an upgrade rebuilds every fixture.
func TestCacheKeyMatchesTheShellVersion(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.txt": "hello\n", "run": "#!/bin/sh\necho x\n", "empty": ""})
	f := func(name string) input { return fileInput(filepath.Join(dir, name)) }
	for _, c := range []struct {
		name   string
		inputs []input
		want   string
	}{
		{"file then value", []input{f("a.txt"), valueInput("v1")}, "26ca1ae486c75d3b"},
		{"value then file", []input{valueInput("v1"), f("a.txt")}, "05569b3d17f9f9f1"},
		{"files and values", []input{f("a.txt"), f("run"), f("empty"), valueInput("sha256:abc"), valueInput("1735689600"), valueInput("with space")}, "96e860c8a14557f2"},
		{"empty value", []input{valueInput("")}, "6f7a268891d0d6ee"},
	} {
		got, err := cacheKey(c.inputs...)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: key %s, want %s", c.name, got, c.want)
		}
	}
}

func TestCacheKeyChangesWithEachInput(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"x/Dockerfile": "FROM scratch\n", "y/Dockerfile": "FROM scratch\n", "y/other": "FROM scratch\n"})
	key := func(inputs ...input) string {
		t.Helper()
		k, err := cacheKey(inputs...)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(fileInput(filepath.Join(dir, "x/Dockerfile")), valueInput("1"))
	if same := key(fileInput(filepath.Join(dir, "y/Dockerfile")), valueInput("1")); same != base {
		t.Errorf("the same file name and content in another directory changed the key: %s vs %s", same, base)
	}
	for name, k := range map[string]string{
		"file renamed":  key(fileInput(filepath.Join(dir, "y/other")), valueInput("1")),
		"value changed": key(fileInput(filepath.Join(dir, "x/Dockerfile")), valueInput("2")),
		"value added":   key(fileInput(filepath.Join(dir, "x/Dockerfile")), valueInput("1"), valueInput("")),
		"order swapped": key(valueInput("1"), fileInput(filepath.Join(dir, "x/Dockerfile"))),
		"file as value": key(valueInput("FROM scratch"), valueInput("1")),
		"file left out": key(valueInput("1")),
		"no inputs":     key(),
	} {
		if k == base {
			t.Errorf("%s: key unchanged (%s)", name, k)
		}
	}
	writeFiles(t, dir, map[string]string{"x/Dockerfile": "FROM scratch \n"})
	if k := key(fileInput(filepath.Join(dir, "x/Dockerfile")), valueInput("1")); k == base {
		t.Errorf("content edited: key unchanged (%s)", k)
	}
}

func TestCacheKeyOfAMissingFileFails(t *testing.T) {
	if k, err := cacheKey(fileInput(filepath.Join(t.TempDir(), "gone"))); err == nil {
		t.Errorf("key %s for a missing file, want an error", k)
	}
}

func TestDirFilesAreTheShellGlobsFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"b": "", "a": "", "B": "", ".hidden": "", "sub/c": "", "_x": ""})
	if err := os.Symlink("a", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("missing", filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	inputs, err := dirFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range inputs {
		got = append(got, filepath.Base(in.file))
	}
	// Byte order, as LC_ALL=C sorts: upper case before "_" before lower.
	want := []string{"B", "_x", "a", "b", "link"}
	if len(got) != len(want) {
		t.Fatalf("files %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("files %q, want %q", got, want)
		}
	}
}
