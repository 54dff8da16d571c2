package recipe

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// CopySource is what one source of a copy step brings into the build
// context.
type CopySource struct {
	// Matches are the paths the COPY instruction names, relative to the
	// recipe's folder: the source itself, or the sorted matches of its
	// pattern.
	Matches []string
	// Files are the regular files the matches stand for, a folder standing
	// for every file below it, sorted by path.
	Files []CopiedFile
}

// CopiedFile is one file a copy step brings into the build context.
type CopiedFile struct {
	// Rel is the file's path relative to the recipe's folder.
	Rel string
	// Path is the file's absolute path as it is named in the folder (it may
	// be a symlink to another file of the folder); for a file of an
	// embedded recipe, its name as positions print it
	// (catalog:recipes/demo/src/x.py).
	Path string
	real string
	info fs.FileInfo
	// fsys is set for a file of an embedded recipe; real is then its path
	// in fsys.
	fsys fs.FS
}

// Mode is the mode of the file (of the file a symlink leads to).
func (f CopiedFile) Mode() fs.FileMode { return f.info.Mode() }

// Embedded reports whether the file is read from an fs.FS (the catalog
// built into macabox) rather than from the disk: it has no path on this
// machine.
func (f CopiedFile) Embedded() bool { return f.fsys != nil }

// Size is the file's size when ResolveCopySource looked at it.
func (f CopiedFile) Size() int64 { return f.info.Size() }

// Open opens the file for reading, with the guarantees of Read.
func (f CopiedFile) Open() (io.ReadCloser, error) {
	var file io.ReadCloser
	var err error
	if f.fsys != nil {
		file, err = openFSFile(f.fsys, f.real)
	} else {
		file, err = openRegular(f.real, f.info)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", filepath.ToSlash(f.Rel), err)
	}
	return file, nil
}

// Read reads the file's content. It refuses a file that is no longer the
// regular file ResolveCopySource looked at, and cannot block on a named pipe
// put in its place.
func (f CopiedFile) Read() ([]byte, error) {
	var data []byte
	var err error
	if f.fsys != nil {
		data, err = readFSFile(f.fsys, f.real, -1)
	} else {
		data, err = readRegular(f.real, f.info, -1)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", filepath.ToSlash(f.Rel), err)
	}
	return data, nil
}

// ResolveCopySource checks one source of a copy step of the recipe in
// folder dir, and lists what it brings into the build context. It is the
// one rule for copy sources: Validate reports its error at the source's
// position, and the planner builds from its result, so that validating
// refuses exactly what planning, building and exporting would.
//
// A source is a path relative to the recipe's folder, or a pattern (*, ?,
// [..]) that must match at least one file. What it names must be inside the
// folder, and so must every file it brings in: regular files, or symlinks
// to regular files of the folder; a folder brings the files below it. Names
// that COPY would read as a pattern, or that do not print, are refused.
func ResolveCopySource(dir, src string) (*CopySource, error) {
	return resolveCopy(src, func() (copyFolder, error) {
		dir, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		realDir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return nil, fmt.Errorf("cannot resolve the recipe's folder %s", quote(dir))
		}
		return diskFolder{dir: dir, realDir: realDir}, nil
	})
}

// CopySource is ResolveCopySource for a source of a copy step of d: in
// d's folder on disk, or for an embedded recipe, in its folder of its fs.FS.
func (d *Document) CopySource(src string) (*CopySource, error) {
	if d.Embedded == nil {
		return ResolveCopySource(d.Dir(), src)
	}
	dir := path.Dir(d.Embedded.Path)
	label, _, _ := strings.Cut(d.File, ":")
	return resolveCopy(src, func() (copyFolder, error) {
		return fsFolder{fsys: d.Embedded.FS, dir: dir, label: label}, nil
	})
}

// resolveCopy applies the rule of ResolveCopySource in the folder open
// gives, once src itself is known to be well formed.
func resolveCopy(src string, open func() (copyFolder, error)) (*CopySource, error) {
	if what := findNonPrinting(src, ""); what != "" {
		return nil, fmt.Errorf("%s holds %s; copy sources must be printable text", quote(src), what)
	}
	if src == "" {
		return nil, errors.New("empty path; name a file or folder beside the recipe")
	}
	if filepath.IsAbs(src) {
		return nil, fmt.Errorf("%s is absolute; copy sources are relative to the recipe's folder", quote(src))
	}
	clean := filepath.Clean(filepath.FromSlash(src))
	if !filepath.IsLocal(clean) {
		return nil, fmt.Errorf("%s leaves the recipe's folder", quote(src))
	}
	folder, err := open()
	if err != nil {
		return nil, err
	}
	matches, err := copyMatches(folder, src, clean)
	if err != nil {
		return nil, err
	}
	w := copyWalk{folder: folder}
	for _, rel := range matches {
		if err := w.add(rel, src); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(w.files, func(a, b CopiedFile) int { return strings.Compare(a.Rel, b.Rel) })
	return &CopySource{Matches: matches, Files: w.files}, nil
}

// copyMatches expands a pattern into the sorted paths it matches, relative
// to the folder, and checks that COPY will take each of them literally.
func copyMatches(folder copyFolder, src, clean string) ([]string, error) {
	matches := []string{clean}
	if strings.ContainsAny(clean, "*?[") {
		var err error
		matches, err = folder.glob(clean)
		if err != nil {
			return nil, fmt.Errorf("%s is not a valid pattern", quote(src))
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s matches no file beside the recipe", quote(src))
		}
	}
	for _, m := range matches {
		// COPY reads these characters as a pattern of its own.
		if strings.ContainsAny(m, `*?[\`) || strings.TrimSpace(m) != m {
			return nil, fmt.Errorf("%s: names with *, ?, [, \\ or surrounding spaces cannot be copied; rename the file", quote(filepath.ToSlash(m)))
		}
	}
	return matches, nil
}

// copyWalk gathers the files of one copy source.
type copyWalk struct {
	folder  copyFolder
	files   []CopiedFile
	entries int
}

// add checks one match, and for a folder everything below it.
func (w *copyWalk) add(match, src string) error {
	info, err := w.folder.lstat(match)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no file %s beside the recipe", quote(src))
	}
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", quote(filepath.ToSlash(match)), bareError(err))
	}
	if !info.IsDir() {
		return w.file(match)
	}
	return w.folder.walk(match, func(rel string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", quote(rel), bareError(err))
		}
		if w.entries++; w.entries > MaxTreeEntries {
			return fmt.Errorf("%s holds more than %d files and folders", quote(filepath.ToSlash(match)), MaxTreeEntries)
		}
		if e.IsDir() {
			if what := findNonPrinting(rel, ""); what != "" {
				return nonPrintingName(rel, what)
			}
			return nil
		}
		return w.file(rel)
	})
}

// file checks and records one file that is not a folder; rel is relative
// to the recipe's folder.
func (w *copyWalk) file(rel string) error {
	rel = filepath.ToSlash(rel)
	if what := findNonPrinting(rel, ""); what != "" {
		return nonPrintingName(rel, what)
	}
	f, err := w.folder.file(rel)
	if err != nil {
		return err
	}
	w.files = append(w.files, f)
	return nil
}

func nonPrintingName(rel, what string) error {
	return fmt.Errorf("%s: the name holds %s; rename it, since copied paths are listed in bundles and scripts", quote(rel), what)
}

// bareError drops the absolute path an fs error carries: the message names
// the file relative to the recipe, next to the recipe's position.
func bareError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
