//go:build !linux

package device

import (
	"errors"
	"io/fs"
)

// nodeNumbers exists so the package builds everywhere; MACA devices only
// exist on Linux.
func nodeNumbers(fs.FileInfo) (major, minor, gid uint32, err error) {
	return 0, 0, 0, errors.New("reading device nodes needs linux")
}
