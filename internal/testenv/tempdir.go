package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TempDir returns a new, empty directory that is removed when the test and
// its subtests finish, whether they pass or fail.
//
// Unlike t.TempDir the path is short (a unix socket path must stay under 108
// bytes, and t.TempDir embeds the test name), and removal copes with what
// daemons leave behind: read-only directories and, on Linux, mounts that a
// killed buildkitd did not undo.
func TempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "macabox-")
	if err != nil {
		t.Fatalf("testenv: creating temp dir: %v", err)
	}
	t.Cleanup(func() {
		if err := removeAll(dir); err != nil {
			t.Errorf("testenv: removing temp dir: %v", err)
		}
	})
	return dir
}

func removeAll(dir string) error {
	unmountUnder(dir)
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	// Only a non-root user gets here for a read-only directory: make every
	// directory writable and try again.
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}
