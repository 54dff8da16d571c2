package recipe

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Recipe files and the files copy steps take are read under one rule: a
// regular file, or a symlink that leads to a regular file inside the folder
// it belongs to. Anything else is refused before it is read: a named pipe
// would block the reader forever (and every command with it), a device or a
// socket is no file to build from, and a link out of the tree would read,
// and print in a problem, whatever it points at, a credentials file say.

// fileProblem is a file the rule refuses. Its text is the problem as a
// message at the file's position reads it.
type fileProblem string

func (p fileProblem) Error() string { return string(p) }

// Ways a symlink can break the rule; callers phrase them for their context.
var (
	errDangling = errors.New("a symlink to a missing file")
	errOutside  = errors.New("a symlink that leads outside its folder")
)

// kindOf names what a file is, for messages.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// resolveInside follows path to what it names: the path itself, or for a
// symlink the file it leads to, which must lie inside realRoot (a folder
// already resolved with filepath.EvalSymlinks). It returns that file's path,
// free of symlinks, and what Lstat says of it; nothing is opened.
func resolveInside(realRoot, path string) (string, fs.FileInfo, error) {
	info, err := os.Lstat(path)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		return path, info, err
	}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, errDangling
	}
	if err != nil {
		return "", nil, err
	}
	if !inside(realRoot, real) {
		return "", nil, errOutside
	}
	info, err = os.Lstat(real)
	return real, info, err
}

// inside reports whether p is root or lies below it; both are clean paths.
func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// openRegular opens for reading the file that Lstat described as info, a
// regular file. Something else may have taken its place since; opening
// cannot block on it, and the file opened is refused unless it is the one
// that was looked at.
func openRegular(path string, info fs.FileInfo) (*os.File, error) {
	f, opened, err := openNonBlocking(path)
	if err != nil {
		return nil, err
	}
	if !os.SameFile(info, opened) {
		f.Close()
		return nil, fileProblem("the file changed while it was being read; try again")
	}
	return f, nil
}

// openNonBlocking opens path for reading with O_NONBLOCK, so that opening a
// named pipe returns at once instead of waiting for a writer, and keeps the
// file open only if it is a regular file. (On a regular file O_NONBLOCK
// changes nothing.)
func openNonBlocking(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fileProblem(fmt.Sprintf("%s, not a regular file", kindOf(info.Mode())))
	}
	return f, info, nil
}

// readRegular reads the regular file Lstat described as info, up to limit
// bytes (a negative limit reads it all).
func readRegular(path string, info fs.FileInfo, limit int64) ([]byte, error) {
	f, err := openRegular(path, info)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readUpTo(f, limit)
}

// readUpTo reads r to its end, or up to limit bytes when limit is not
// negative.
func readUpTo(r io.Reader, limit int64) ([]byte, error) {
	if limit >= 0 {
		r = io.LimitReader(r, limit)
	}
	return io.ReadAll(r)
}
