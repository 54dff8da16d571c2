package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// Well-known names inside a bundle.
const (
	SumsName       = "SHA256SUMS"
	ExpectedName   = "expected.json"
	TestsName      = "tests.json"
	DockerfileName = "Dockerfile"
	ConfigName     = "image-config.json"
	// LockName is the lock file of a locked build.
	LockName  = "lock.yaml"
	layersDir = "layers"
)

// File is one file of a bundle. Every file is a regular file with mode 0644
// or 0755: a bundle carries no links, devices or odd permissions, so that it
// means the same on every machine and in every archive tool.
type File struct {
	Name string // slash-separated, relative, clean
	Exec bool   // mode 0755 instead of 0644
	Data []byte
}

// Mode is the file's permission bits.
func (f File) Mode() fs.FileMode {
	if f.Exec {
		return 0o755
	}
	return 0o644
}

// Files is a bundle's content, without SHA256SUMS (see withSums).
type Files []File

// sorted returns the files in name order, refusing names that are not safe
// or appear twice.
func (fs Files) sorted() (Files, error) {
	out := slices.Clone(fs)
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	for i, f := range out {
		if err := checkName(f.Name); err != nil {
			return nil, err
		}
		if i > 0 && out[i-1].Name == f.Name {
			return nil, fmt.Errorf("bundle file %q written twice", f.Name)
		}
	}
	return out, nil
}

// checkName accepts the names a bundle may hold: relative, clean, no ".."
// components, and none of the characters that sha256sum escapes or that a
// shell script or Windows would read differently.
func checkName(name string) error {
	switch {
	case name == "" || name == ".":
		return errors.New("empty file name")
	case strings.ContainsAny(name, "\\\n\r\x00"):
		return fmt.Errorf("file name %q holds a backslash, line break or NUL", name)
	case path.IsAbs(name):
		return fmt.Errorf("file name %q is absolute", name)
	case path.Clean(name) != name:
		return fmt.Errorf("file name %q is not clean", name)
	case name == ".." || strings.HasPrefix(name, "../"):
		return fmt.Errorf("file name %q leaves the bundle", name)
	}
	return nil
}

// parents lists every directory that holds one of the files, sorted.
func (fs Files) parents() []string {
	seen := map[string]bool{}
	for _, f := range fs {
		for d := path.Dir(f.Name); d != "."; d = path.Dir(d) {
			seen[d] = true
		}
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	return dirs
}

// writeDir writes files into dir, which must not exist or be empty. Every
// file and directory gets its fixed mode and the epoch as its time, as in
// the tarball, so that `bash build.sh` in the directory sends BuildKit the
// same context either way. Everything is written through an os.Root, so
// no name can land outside dir.
func writeDir(dir string, files Files, epoch int64) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty; give a new directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sorted, err := files.sorted()
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	dirs := sorted.parents()
	for _, d := range dirs {
		if err := root.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	t := time.Unix(epoch, 0)
	for _, f := range sorted {
		if err := writeNew(root, f.Name, f.Data, f.Mode()); err != nil {
			return err
		}
		if err := root.Chtimes(f.Name, t, t); err != nil {
			return err
		}
	}
	// Directories last, deepest first: writing into one changes its time.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := root.Chmod(dirs[i], 0o755); err != nil {
			return err
		}
		if err := root.Chtimes(dirs[i], t, t); err != nil {
			return err
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
