package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// LoadFS loads every *.yaml and *.yml file under the folders images and
// recipes of fsys, as LoadTree does on disk. A document's File reads
// "<label>:<path>" (catalog:recipes/mineru/mineru.yaml), so that a position
// in a message says which copy of a file it means; Embedded keeps fsys, where
// its copy sources and its lock are read. Errors are reported as by LoadTree.
func LoadFS(fsys fs.FS, label string) (*Set, error) {
	files, err := fsRecipeFiles(fsys, MaxTreeEntries)
	if err != nil {
		return nil, err
	}
	return loadEach(files, func(p string) ([]*Document, error) {
		name := label + ":" + p
		data, err := readFSFile(fsys, p, MaxFileSize+1)
		if err != nil {
			return nil, fmt.Errorf("reading recipe %s: %w", name, err)
		}
		docs, err := Load(name, data)
		for _, d := range docs {
			d.Embedded = &EmbeddedFile{FS: fsys, Path: p}
		}
		return docs, err
	})
}

// fsRecipeFiles lists the recipe files under images and recipes of fsys,
// sorted, as the walk on disk does.
func fsRecipeFiles(fsys fs.FS, maxEntries int) ([]string, error) {
	var files []string
	walk := recipeWalk{max: maxEntries}
	for _, top := range []string{"images", "recipes"} {
		if _, err := fs.Stat(fsys, top); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		found, err := walk.files(top, func(fn fs.WalkDirFunc) error { return fs.WalkDir(fsys, top, fn) })
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
	}
	return files, nil
}

// openFSFile opens a regular file of fsys.
func openFSFile(fsys fs.FS, name string) (fs.File, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fileProblem(kindOf(info.Mode()) + ", not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readFSFile reads a regular file of fsys, up to limit bytes (a negative
// limit reads it all).
func readFSFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := openFSFile(fsys, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readUpTo(f, limit)
}

// LockOf is where the lock of the target d defines lives in d's fs.FS:
// beside d's file, as LockPath says on disk. ok is false for a document
// read from the disk.
func (d *Document) LockOf(target string) (fsys fs.FS, name string, ok bool) {
	if d.Embedded == nil {
		return nil, "", false
	}
	return d.Embedded.FS, path.Join(path.Dir(d.Embedded.Path), target+LockSuffix), true
}
