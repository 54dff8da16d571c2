// Package replacefile replaces a file's content as one step, so a reader
// sees the old file or the new one, never half of it: reports, locks,
// recorded references and the small indexes macabox keeps.
package replacefile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write puts data at path with mode perm: written beside it in a
// directory made when missing, then renamed over it. A path that names
// something else than a regular file (/dev/null, a FIFO, /dev/stderr) is
// written into instead: renaming over it would put a regular file in its
// place, and as root that breaks /dev/null for the whole machine. A
// symbolic link is followed, so the link stays a link.
func Write(path string, data []byte, perm fs.FileMode) error {
	path = followLinks(path)
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", path)
		}
		return writeInto(path, data)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// writeInto writes data into an existing file that is not a regular one.
func writeInto(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// followLinks returns what path's chain of symbolic links ends at, whether
// or not that exists yet.
func followLinks(path string) string {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode().Type() != os.ModeSymlink {
			return path
		}
		target, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return path
}
