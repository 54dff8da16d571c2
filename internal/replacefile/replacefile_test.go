package replacefile

import (
	"os"
	"path/filepath"
	"testing"
)

// A file is replaced whole, in a folder made when missing, with the mode
// asked for, and nothing is left beside it.
func TestWriteReplacesWhole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "folder")
	path := filepath.Join(dir, "lock.yaml")
	for _, content := range []string{"first\n", "second\n"} {
		if err := Write(path, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != content {
			t.Fatalf("holds %q (%v), want %q", got, err, content)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v (%v), want 0640", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left beside it: %v", entries)
	}
	if err := Write(dir, []byte("x"), 0o644); err == nil {
		t.Error("a directory was replaced")
	}
}
