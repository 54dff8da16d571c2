package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// copyFolder is the folder a recipe's copy sources are read from: on disk,
// or in an fs.FS for a recipe of the catalog built into macabox. Paths are
// relative to the folder.
type copyFolder interface {
	// glob returns the sorted paths that match pattern.
	glob(pattern string) ([]string, error)
	// lstat describes rel without following a symlink.
	lstat(rel string) (fs.FileInfo, error)
	// walk visits rel and everything below it, as fs.WalkDir does.
	walk(rel string, fn func(rel string, e fs.DirEntry, err error) error) error
	// file checks that rel, which is not a folder, may be copied.
	file(rel string) (CopiedFile, error)
}

// diskFolder is a recipe's folder on disk. realDir is dir with its
// symlinks resolved: a symlink in it must lead to a file below realDir.
type diskFolder struct{ dir, realDir string }

func (d diskFolder) glob(pattern string) ([]string, error) {
	abs, err := filepath.Glob(filepath.Join(d.dir, pattern))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(abs))
	for _, m := range abs {
		rel, err := filepath.Rel(d.dir, m)
		if err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	return out, nil
}

func (d diskFolder) lstat(rel string) (fs.FileInfo, error) {
	return os.Lstat(filepath.Join(d.dir, rel))
}

func (d diskFolder) walk(rel string, fn func(string, fs.DirEntry, error) error) error {
	return filepath.WalkDir(filepath.Join(d.dir, rel), func(p string, e fs.DirEntry, err error) error {
		r, rerr := filepath.Rel(d.dir, p)
		if rerr != nil {
			r = p
		}
		return fn(filepath.ToSlash(r), e, err)
	})
}

func (d diskFolder) file(rel string) (CopiedFile, error) {
	p := filepath.Join(d.dir, filepath.FromSlash(rel))
	real, info, err := resolveInside(d.realDir, p)
	switch {
	case errors.Is(err, errDangling):
		return CopiedFile{}, fmt.Errorf("%s is a symlink to a missing file", quote(rel))
	case errors.Is(err, errOutside):
		return CopiedFile{}, fmt.Errorf("%s is a symlink that leads outside the recipe's folder", quote(rel))
	case err != nil:
		return CopiedFile{}, fmt.Errorf("cannot read %s: %w", quote(rel), bareError(err))
	case info.IsDir():
		return CopiedFile{}, fmt.Errorf("%s is a symlink to a folder; copy the folder itself", quote(rel))
	case !info.Mode().IsRegular():
		return CopiedFile{}, fmt.Errorf("%s is %s, not a regular file", quote(rel), kindOf(info.Mode()))
	}
	return CopiedFile{Rel: filepath.FromSlash(rel), Path: p, real: real, info: info}, nil
}

// fsFolder is the folder dir of a recipe read from fsys; label names fsys
// in positions ("catalog").
type fsFolder struct {
	fsys       fs.FS
	dir, label string
}

func (f fsFolder) glob(pattern string) ([]string, error) {
	matches, err := fs.Glob(f.fsys, path.Join(f.dir, filepath.ToSlash(pattern)))
	if err != nil {
		return nil, err
	}
	for i, m := range matches {
		matches[i] = filepath.FromSlash(strings.TrimPrefix(m, f.dir+"/"))
	}
	return matches, nil
}

func (f fsFolder) lstat(rel string) (fs.FileInfo, error) {
	return fs.Stat(f.fsys, path.Join(f.dir, filepath.ToSlash(rel)))
}

func (f fsFolder) walk(rel string, fn func(string, fs.DirEntry, error) error) error {
	return fs.WalkDir(f.fsys, path.Join(f.dir, filepath.ToSlash(rel)), func(p string, e fs.DirEntry, err error) error {
		return fn(strings.TrimPrefix(p, f.dir+"/"), e, err)
	})
}

func (f fsFolder) file(rel string) (CopiedFile, error) {
	name := path.Join(f.dir, rel)
	info, err := fs.Stat(f.fsys, name)
	switch {
	case err != nil:
		return CopiedFile{}, fmt.Errorf("cannot read %s: %w", quote(rel), bareError(err))
	case !info.Mode().IsRegular():
		return CopiedFile{}, fmt.Errorf("%s is %s, not a regular file", quote(rel), kindOf(info.Mode()))
	}
	return CopiedFile{Rel: filepath.FromSlash(rel), Path: f.label + ":" + name, real: name, info: info, fsys: f.fsys}, nil
}
