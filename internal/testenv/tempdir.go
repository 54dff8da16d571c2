package testenv

import (
	"os"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/testenv/rmtree"
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
		if err := rmtree.Remove(dir); err != nil {
			t.Errorf("testenv: removing temp dir: %v", err)
		}
	})
	return dir
}
