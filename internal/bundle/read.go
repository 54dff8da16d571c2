package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Limits on what a bundle may hold, so that a hostile tarball (a gzip bomb,
// millions of entries) is refused instead of exhausting the machine.
const (
	maxBundleBytes = 2 << 30
	maxBundleFiles = 200_000
)

// loaded is a bundle read into memory: its regular files, and the entries
// that were refused. Nothing is written anywhere while reading.
type loaded struct {
	files   map[string][]byte
	refused []Problem
}

func (l *loaded) refuse(name, why string) {
	l.refused = append(l.refused, Problem{Kind: ProblemRefused, Path: name, Detail: why})
}

// load reads a bundle directory or tarball. Errors are for a bundle that
// cannot be read at all; entries that are not plain files are refused and
// reported as problems.
func load(p string) (*loaded, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return loadDir(p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return loadTarball(f)
}

// loadTarball reads a gzip'd tar entry by entry, never extracting: links,
// devices, absolute paths, ".." components, duplicates and anything but
// regular files and directories are refused by name.
func loadTarball(r io.Reader) (*loaded, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzip'd tarball: %w", err)
	}
	defer zr.Close()
	l := &loaded{files: map[string][]byte{}}
	dirs := map[string]bool{}
	var total int64
	tr := tar.NewReader(zr)
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the tarball: %w", err)
		}
		if n >= maxBundleFiles {
			return nil, fmt.Errorf("the tarball has more than %d entries", maxBundleFiles)
		}
		name, why := entryName(h.Name)
		if why != "" {
			l.refuse(h.Name, why)
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if name != "" {
				if _, isFile := l.files[name]; isFile || dirs[name] {
					l.refuse(h.Name, "named twice")
					continue
				}
				dirs[name] = true
			}
			continue
		case tar.TypeReg:
		case tar.TypeSymlink:
			l.refuse(h.Name, "symbolic link to "+h.Linkname)
			continue
		case tar.TypeLink:
			l.refuse(h.Name, "hard link to "+h.Linkname)
			continue
		case tar.TypeChar, tar.TypeBlock:
			l.refuse(h.Name, "device file")
			continue
		case tar.TypeFifo:
			l.refuse(h.Name, "named pipe")
			continue
		default:
			l.refuse(h.Name, fmt.Sprintf("unsupported tar entry type %q", h.Typeflag))
			continue
		}
		if name == "" {
			l.refuse(h.Name, "a file without a name")
			continue
		}
		if _, dup := l.files[name]; dup || dirs[name] {
			l.refuse(h.Name, "named twice")
			continue
		}
		total += h.Size
		if h.Size < 0 || total > maxBundleBytes {
			return nil, fmt.Errorf("the tarball holds more than %d bytes", maxBundleBytes)
		}
		data, err := io.ReadAll(io.LimitReader(tr, h.Size))
		if err != nil {
			return nil, fmt.Errorf("reading %s from the tarball: %w", name, err)
		}
		l.files[name] = data
	}
	l.refuseFileDirClashes()
	return l, nil
}

// entryName cleans a tar entry's name: "./x" and "x/" are accepted as x,
// "./" as the top. Anything that could leave the bundle, or that reads
// differently on another system, is refused with the reason.
func entryName(raw string) (string, string) {
	n := strings.TrimPrefix(raw, "./")
	n = strings.TrimSuffix(n, "/")
	switch {
	case raw == "./" || raw == ".":
		return "", ""
	case strings.HasPrefix(raw, "/"):
		return "", "absolute path"
	case strings.ContainsAny(raw, "\\\x00"):
		return "", "backslash or NUL in the name"
	case slices.Contains(strings.Split(n, "/"), ".."):
		return "", "path with a .. component leaves the bundle"
	case n == "" || path.Clean(n) != n:
		return "", "name is not a clean relative path"
	}
	return n, ""
}

// refuseFileDirClashes refuses files that another entry uses as a directory.
func (l *loaded) refuseFileDirClashes() {
	for name := range l.files {
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, isFile := l.files[d]; isFile {
				l.refuse(d, "is a file and a directory")
				delete(l.files, d)
			}
		}
	}
}

// loadDir reads a bundle directory without following links: a symbolic
// link, device or socket inside is refused, not read through. Files are
// opened through an os.Root, so no name, and no directory swapped for a
// link while the bundle is read, can lead outside dir.
func loadDir(dir string) (*loaded, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", dir, err)
	}
	defer root.Close()
	l := &loaded{files: map[string][]byte{}}
	var total int64
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		switch t := d.Type(); {
		case t.IsDir():
			return nil
		case t&fs.ModeSymlink != 0:
			target, _ := root.Readlink(name)
			l.refuse(name, "symbolic link to "+target)
			return nil
		case !t.IsRegular():
			l.refuse(name, "not a regular file ("+t.String()+")")
			return nil
		}
		if len(l.files) >= maxBundleFiles {
			return fmt.Errorf("more than %d files", maxBundleFiles)
		}
		data, err := readRegular(root, name)
		if err != nil {
			return err
		}
		total += int64(len(data))
		if total > maxBundleBytes {
			return fmt.Errorf("more than %d bytes", maxBundleBytes)
		}
		l.files[name] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", dir, err)
	}
	return l, nil
}

// readRegular reads a file that must still be a regular file once opened,
// so one swapped for a link or a pipe after the walk is not read through.
func readRegular(root *os.Root, name string) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	lfi, err := root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(fi, lfi) {
		return nil, fmt.Errorf("%s changed while it was read", name)
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(f, maxBundleBytes+1)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// extract writes verified files into a new directory under parent (the
// system's temporary directory when empty), with the bundle's modes. It is
// only ever called on a bundle that verified, so every name was checked;
// the names are checked again, and written through an os.Root, so that
// none can land outside the directory.
func extract(files map[string][]byte, execs map[string]bool, parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, "macabox-bundle-")
	if err != nil {
		return "", err
	}
	if err := extractInto(dir, files, execs); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

func extractInto(dir string, files map[string][]byte, execs map[string]bool) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := checkName(n); err != nil {
			return err
		}
		if err := root.MkdirAll(path.Dir(n), 0o755); err != nil {
			return fmt.Errorf("extracting %s: %w", n, err)
		}
		mode := fs.FileMode(0o644)
		if execs[n] {
			mode = 0o755
		}
		if err := writeNew(root, n, files[n], mode); err != nil {
			return fmt.Errorf("extracting %s: %w", n, err)
		}
	}
	return nil
}

// writeNew creates name under root with exactly mode (the umask aside):
// O_EXCL, so nothing may already be there, not even a link.
func writeNew(root *os.Root, name string, data []byte, mode fs.FileMode) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	return errors.Join(err, f.Close())
}
