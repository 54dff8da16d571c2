package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ccf-ai-infra/macabox/internal/catalog"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// lockSite is where the lock of a target lives. A recipe of the user's tree
// has its lock beside it. The catalog built into macabox cannot be written,
// so `macabox lock` writes the lock of a catalog target into the user's
// tree (the working directory when there is none) at the path the catalog
// gives it, recipes/mineru/mineru-maca3.lock.yaml say; it is read from there
// when present, else from the catalog, which may carry a lock of its own.
type lockSite struct {
	// file is the lock on disk: written by `macabox lock`, read first.
	file string
	// fsys and name are the catalog's own lock of a catalog target.
	fsys fs.FS
	name string
}

func lockSiteOf(tg *Target) lockSite {
	doc, _ := tg.Set.Lookup(tg.Name)
	return siteOf(tg.Set, doc)
}

func siteOf(set *recipe.Set, doc *recipe.Document) lockSite {
	fsys, name, embedded := doc.LockOf(doc.Name())
	if !embedded {
		return lockSite{file: recipe.LockPath(doc.File, doc.Name())}
	}
	base := set.Root
	if base == "" {
		base, _ = os.Getwd()
	}
	return lockSite{file: filepath.Join(base, filepath.FromSlash(name)), fsys: fsys, name: name}
}

// read returns the lock (nil when there is none) and where it was read
// from, or would be written to when there is none.
func (s lockSite) read() (*recipe.Lock, string, error) {
	l, err := readLock(s.file)
	if l != nil || err != nil || s.fsys == nil {
		return l, s.file, err
	}
	from := catalog.Label + ":" + s.name
	data, err := fs.ReadFile(s.fsys, s.name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, s.file, nil
	}
	if err != nil {
		return nil, from, cannot("%w", err)
	}
	l, err = recipe.ParseLock(from, data)
	if err != nil {
		return nil, from, err
	}
	return l, from, nil
}

// bytes returns the lock file read from "from", as it is written.
func (s lockSite) bytes(from string) ([]byte, error) {
	if s.onDisk(from) {
		return os.ReadFile(from)
	}
	return fs.ReadFile(s.fsys, s.name)
}

// onDisk reports whether the lock read from "from" is a file of the user's
// tree, which dates a build (see ResolveEpoch), unlike the catalog's.
func (s lockSite) onDisk(from string) bool { return from == s.file }
