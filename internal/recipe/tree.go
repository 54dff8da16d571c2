package recipe

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Set is every recipe document of a project, or of the files named on a
// command line.
type Set struct {
	// Root is the project folder for LoadTree; empty for LoadPaths.
	Root string
	// Docs holds the documents in file order, files sorted by path.
	Docs []*Document
}

// LoadTree loads every *.yaml and *.yml file under root/images and
// root/recipes, recursively, in sorted order. A missing folder is skipped. The
// error is Errors when recipes have problems (the Set then holds what could be
// read), or another error when the tree cannot be read at all.
func LoadTree(root string) (*Set, error) {
	var dirs []string
	for _, d := range []string{"images", "recipes"} {
		dir := filepath.Join(root, d)
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		dirs = append(dirs, dir)
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no images/ or recipes/ folder in %q", root)
	}
	s, err := LoadPaths(dirs...)
	if s != nil {
		s.Root = root
	}
	return s, err
}

// LoadPaths loads the named files, and every *.yaml and *.yml file under the
// named folders, recursively. A file named explicitly is loaded whatever its
// extension. Errors are reported as by LoadTree.
//
// Only regular files are read. A recipe file may be a symlink to a regular
// file inside the folder it was found in (for a file named explicitly, its
// own folder); a path holding a character that does not print, a link
// leading elsewhere, a named pipe and any other special file are problems
// at the file's position, found without reading the file. A walk through
// more than MaxTreeEntries files and folders stops with an error.
func LoadPaths(paths ...string) (*Set, error) {
	files, err := recipeFiles(paths, MaxTreeEntries)
	if err != nil {
		return nil, err
	}
	return loadEach(files, loadFile)
}

// loadEach loads every file into one Set. Recipe problems are gathered and
// returned as Errors beside the Set; any other error stops it.
func loadEach[F any](files []F, load func(F) ([]*Document, error)) (*Set, error) {
	s := &Set{}
	var errs Errors
	for _, f := range files {
		docs, err := load(f)
		s.Docs = append(s.Docs, docs...)
		var recipeErrs Errors
		switch {
		case err == nil:
		case errors.As(err, &recipeErrs):
			errs = append(errs, recipeErrs...)
		default:
			return nil, err
		}
	}
	return s, errs.Err()
}

// recipeFile is a file to read recipes from.
type recipeFile struct {
	path string
	// folder is where the file was found: the folder named to the loader
	// that holds it, or for a file named itself, its own folder. A symlink
	// must not lead out of it, and only the path below it is the tree's.
	folder string
}

// errTooManyEntries stops a walk that reached MaxTreeEntries.
var errTooManyEntries = errors.New("too many entries")

// recipeFiles expands folders into their recipe files, sorted and without
// repeats. It visits at most maxEntries files and folders in all.
func recipeFiles(paths []string, maxEntries int) ([]recipeFile, error) {
	var files []recipeFile
	seen := map[string]bool{}
	addFile := func(p, folder string) {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			files = append(files, recipeFile{path: p, folder: folder})
		}
	}
	walk := recipeWalk{max: maxEntries}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			addFile(p, filepath.Dir(p))
			continue
		}
		found, err := walk.files(p, func(fn fs.WalkDirFunc) error { return filepath.WalkDir(p, fn) })
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			addFile(f, p)
		}
	}
	return files, nil
}

// recipeWalk lists the recipe files below folders, skipping hidden
// folders, and stops once it has visited max files and folders in all.
type recipeWalk struct {
	entries, max int
}

// files walks top with walk (on disk, or in an fs.FS) and returns the
// recipe files found, sorted.
func (w *recipeWalk) files(top string, walk func(fs.WalkDirFunc) error) ([]string, error) {
	var found []string
	err := walk(func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if w.entries++; w.entries > w.max {
			return errTooManyEntries
		}
		if e.IsDir() && path != top && strings.HasPrefix(e.Name(), ".") {
			return fs.SkipDir
		}
		if !e.IsDir() && isRecipeName(e.Name()) {
			found = append(found, path)
		}
		return nil
	})
	if errors.Is(err, errTooManyEntries) {
		return nil, fmt.Errorf("listing recipes in %q: more than %d files and folders; a recipe tree holds far fewer (is it the right folder?)", top, w.max)
	}
	if err != nil {
		return nil, fmt.Errorf("listing recipes in %q: %w", top, err)
	}
	slices.Sort(found)
	return found, nil
}

func isRecipeName(name string) bool {
	ext := filepath.Ext(name)
	// Lock files sit beside the recipes they pin but are not recipes.
	return (ext == ".yaml" || ext == ".yml") && !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, LockSuffix)
}

// Lookup finds a document by name. When several share the name (which
// Validate reports), the first in file order wins.
func (s *Set) Lookup(name string) (*Document, bool) {
	for _, d := range s.Docs {
		if d.Name() == name {
			return d, true
		}
	}
	return nil, false
}

// Images returns the Image documents, sorted by name.
func (s *Set) Images() []*Document { return s.ofKind(KindImage) }

// Layers returns the Layer documents, sorted by name.
func (s *Set) Layers() []*Document { return s.ofKind(KindLayer) }

// Stacks returns the Stack documents, sorted by name.
func (s *Set) Stacks() []*Document { return s.ofKind(KindStack) }

func (s *Set) ofKind(k Kind) []*Document {
	var out []*Document
	for _, d := range s.Docs {
		if d.Kind() == k {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b *Document) int { return cmp.Compare(a.Name(), b.Name()) })
	return out
}
