package bundle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// readDir reads a bundle directory without following links: a symbolic
// link, device or socket inside is refused, not read through. Everything is
// opened through an os.Root, so no name, and no directory swapped for a link
// while the bundle is read, can lead outside dir. Directories are listed a
// batch at a time, so one with millions of entries is refused at the limit
// rather than listed whole.
func (r *reader) readDir(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	pending := []string{"."}
	for len(pending) > 0 {
		d := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		subdirs, err := r.readDirEntries(root, d)
		if err != nil || r.stop != nil {
			return err
		}
		pending = append(pending, subdirs...)
	}
	return nil
}

// readDirEntries reads the entries of one directory of the bundle and
// returns its subdirectories.
func (r *reader) readDirEntries(root *os.Root, d string) ([]string, error) {
	f, err := root.Open(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var subdirs []string
	for {
		if err := r.ctx.Err(); err != nil {
			return nil, err
		}
		batch, err := f.ReadDir(256)
		for _, e := range batch {
			name := path.Join(d, e.Name())
			if r.count(name, int64(len(name))) != nil {
				return nil, nil
			}
			if sub, err := r.dirEntry(root, name, e); err != nil || r.stop != nil {
				return nil, err
			} else if sub {
				subdirs = append(subdirs, name)
			}
		}
		if err == io.EOF {
			return subdirs, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// dirEntry reads one entry; sub reports a directory to descend into.
func (r *reader) dirEntry(root *os.Root, name string, e fs.DirEntry) (sub bool, err error) {
	clean, ok := r.entry(name)
	if !ok {
		return false, nil
	}
	switch t := e.Type(); {
	case t.IsDir():
		return true, nil
	case t&fs.ModeSymlink != 0:
		target, _ := root.Readlink(name)
		r.refuse(name, "symbolic link to "+target)
		return false, nil
	case !t.IsRegular():
		r.refuse(name, "not a regular file ("+t.String()+")")
		return false, nil
	}
	f, fi, err := openRegular(root, name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	// The modes a checkout or an extraction gives follow the umask; the
	// special bits do not, and a bundle has no use for them.
	if m := fi.Mode(); m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		r.refuse(name, fmt.Sprintf("mode %s: setuid, setgid or sticky", m))
		return false, nil
	}
	if fi.Size() > maxBundleBytes-r.read {
		r.stopAt(name, fmt.Sprintf("a file of %d bytes; a bundle holds at most %s", fi.Size(), sizeText(maxBundleBytes)))
		return false, nil
	}
	if err := r.file(name, clean, &counted{r: f, rd: r, name: name}); err != nil && !errors.Is(err, errStop) {
		return false, err
	}
	return false, nil
}

// openRegular opens a file that must still be a regular file once opened,
// so one swapped for a link or a pipe after the listing is not read through.
func openRegular(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	// Non-blocking, so a pipe put in the file's place does not hang the
	// open; it is refused below.
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		var lfi fs.FileInfo
		lfi, err = root.Lstat(name)
		if err == nil && (!fi.Mode().IsRegular() || !os.SameFile(fi, lfi)) {
			err = fmt.Errorf("%s changed while it was read", name)
		}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}
