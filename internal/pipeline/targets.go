package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// RootEnv names the environment variable that points at a recipe tree.
const RootEnv = "MACABOX_ROOT"

// FindRoot returns the recipe tree to use: flag (--root), then $MACABOX_ROOT,
// then the nearest directory at or above the working directory that holds
// images/ or recipes/. An empty result means "no tree": only explicit paths
// are read.
//
// The search never leaves the user's own ground: it stops at the home
// directory and at a world-writable directory such as /tmp (anyone could
// have put a recipes/ there), and a tree owned by another user is refused,
// as git refuses a repository of dubious ownership.
func FindRoot(flag string) (string, error) {
	if flag == "" {
		flag = os.Getenv(RootEnv)
	}
	if flag != "" {
		if !isTree(flag) {
			return "", cannot("recipe root %q has neither images/ nor recipes/", flag)
		}
		return filepath.Abs(flag)
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", cannot("finding the recipe root: %w", err)
	}
	home, _ := os.UserHomeDir()
	for {
		if isTree(dir) {
			if err := ownTree(dir); err != nil {
				return "", err
			}
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir || dir == home || worldWritable(parent) {
			return "", nil
		}
		dir = parent
	}
}

// worldWritable reports whether anyone may create entries in dir.
func worldWritable(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.Mode().Perm()&0o002 != 0
}

func isTree(dir string) bool {
	for _, sub := range []string{"images", "recipes"} {
		if isDir(filepath.Join(dir, sub)) {
			return true
		}
	}
	return false
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// LoadSet reads the recipe tree plus any extra files or directories outside
// it, so that a file given on the command line can still refer to the
// tree's images, and then the catalog built into macabox for every name
// they do not define (see withCatalog). Recipe problems come back as
// recipe.Errors alongside whatever did load.
func LoadSet(root string, extra ...string) (*recipe.Set, error) {
	var paths []string
	if root != "" {
		for _, sub := range []string{"images", "recipes"} {
			if dir := filepath.Join(root, sub); isDir(dir) {
				paths = append(paths, dir)
			}
		}
	}
	for _, p := range extra {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, cannot("reading %s: %w", p, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, cannot("reading %s: %w", p, errors.Unwrap(err))
		}
		if !CoveredBy(abs, paths) {
			paths = append(paths, abs)
		}
	}
	local := &recipe.Set{}
	var errs recipe.Errors
	if len(paths) > 0 {
		set, err := recipe.LoadPaths(paths...)
		if err != nil && !errors.As(err, &errs) {
			return nil, markCannot(err)
		}
		if set != nil {
			local = set
		}
	}
	// Positions in plans, Dockerfiles and bundles are relative to the
	// project root, whichever files were named.
	local.Root = root
	set, shadowed, err := withCatalog(local)
	if err != nil {
		return nil, cannot("%w", err)
	}
	return set, append(errs, shadowed...).Err()
}

// CoveredBy reports whether p lies inside one of the directories in dirs.
func CoveredBy(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// RelPath shortens an absolute path for messages, relative to the working
// directory as editors and terminals link them.
func RelPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// Target is a resolved target: the recipe set it is read from, its name,
// and the recipe root.
type Target struct {
	Set  *recipe.Set
	Name string
	Root string
}

// ResolveTarget turns TARGET (a recipe name, or a file holding exactly one
// Stack or Image) into a loaded, validated set and the document's name.
// rootFlag is --root. An unknown name wraps ErrCannot; invalid recipes come
// back as recipe.Errors.
func ResolveTarget(rootFlag, target string) (*Target, error) {
	root, err := FindRoot(rootFlag)
	if err != nil {
		return nil, err
	}
	var extra []string
	isFile := isFileTarget(target)
	if isFile {
		extra = append(extra, target)
	}
	set, err := LoadSet(root, extra...)
	if err != nil {
		return nil, err
	}
	names := []string{}
	if !isFile {
		names = append(names, target)
	}
	if errs := Validate(set, names...); len(errs) > 0 {
		return nil, errs
	}
	// A matrix's cells are stacks like any other from here on: found,
	// planned and locked by their names.
	set = set.WithCells()
	if !isFile {
		if _, ok := set.Lookup(target); !ok {
			return nil, cannot("no recipe named %q %s (see: macabox list)", target, whereLooked(root))
		}
		return &Target{Set: set, Name: target, Root: root}, nil
	}
	name, err := buildableIn(set, target)
	if err != nil {
		return nil, err
	}
	return &Target{Set: set, Name: name, Root: root}, nil
}

func whereLooked(root string) string {
	if root == "" {
		return "in the catalog, and no images/ or recipes/ here or above (or set --root)"
	}
	return "in " + RelPath(root) + " or the catalog"
}

// isFileTarget says whether a TARGET argument names a recipe file rather
// than a recipe.
func isFileTarget(target string) bool {
	return strings.ContainsRune(target, filepath.Separator) || strings.HasSuffix(target, ".yaml") || strings.HasSuffix(target, ".yml")
}

// buildableIn picks the one Stack, Image or Matrix defined in file.
func buildableIn(set *recipe.Set, file string) (string, error) {
	abs, _ := filepath.Abs(file)
	var names []string
	for _, d := range set.Docs {
		if d.File == abs && d.Cell == nil && (d.Stack != nil || d.Image != nil || d.Matrix != nil) {
			names = append(names, d.Header().Name.Value)
		}
	}
	switch len(names) {
	case 1:
		return names[0], nil
	case 0:
		return "", cannot("%s holds no Stack, Image or Matrix to build", file)
	}
	return "", cannot("%s holds several targets (%s): name one instead of the file", file, strings.Join(names, ", "))
}
