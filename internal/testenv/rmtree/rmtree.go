// Package rmtree removes what a daemon leaves behind: read-only directories
// and, on Linux, mounts that a killed buildkitd or debootstrap did not undo.
package rmtree

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Remove unmounts everything below dir, then removes dir. Unmounting first
// keeps the removal from reaching into a mounted filesystem, and from
// failing with EBUSY.
func Remove(dir string) error {
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
