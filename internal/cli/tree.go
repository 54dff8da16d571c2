package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// rootEnv names the environment variable that points at a recipe tree.
const rootEnv = "MACABOX_ROOT"

// findRoot returns the recipe tree to use: --root, then $MACABOX_ROOT, then the
// nearest directory at or above the working directory that holds images/ or
// recipes/. An empty result means "no tree": only explicit paths are read.
func findRoot(flag string) (string, error) {
	if flag == "" {
		flag = os.Getenv(rootEnv)
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
	for {
		if isTree(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

func isTree(dir string) bool {
	for _, sub := range []string{"images", "recipes"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// loadSet reads the recipe tree plus any extra files or directories outside it,
// so that a file given on the command line can still refer to the tree's images.
// Load problems come back as recipe.Errors alongside whatever did load.
func loadSet(root string, extra ...string) (*recipe.Set, error) {
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
		if !coveredBy(abs, paths) {
			paths = append(paths, abs)
		}
	}
	if len(paths) == 0 {
		return nil, cannot("no recipes: give a path, or run inside a tree with images/ or recipes/ (or set --root)")
	}
	set, err := recipe.LoadPaths(paths...)
	if set != nil && root != "" {
		// Positions in plans, Dockerfiles and bundles are relative to the
		// project root, whichever files were named.
		set.Root = root
	}
	return set, err
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// coveredBy reports whether p lies inside one of the directories in dirs.
func coveredBy(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// relPath shortens an absolute path for messages, relative to the working directory.
func relPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// resolveTarget turns TARGET (a recipe name, or a file holding exactly one
// Stack or Image) into a loaded set and the document's name.
func resolveTarget(g *globalOptions, target string) (*recipe.Set, string, error) {
	root, err := findRoot(g.root)
	if err != nil {
		return nil, "", err
	}
	var extra []string
	isFile := strings.ContainsRune(target, filepath.Separator) || strings.HasSuffix(target, ".yaml") || strings.HasSuffix(target, ".yml")
	if isFile {
		extra = append(extra, target)
	}
	set, err := loadSet(root, extra...)
	if err != nil {
		return nil, "", loadFailure(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		return nil, "", problems(errs)
	}
	if !isFile {
		if _, ok := set.Lookup(target); !ok {
			return nil, "", cannot("no recipe named %q under %s (see: macabox list)", target, displayRoot(root))
		}
		return set, target, nil
	}
	name, err := buildableIn(set, target)
	return set, name, err
}

func displayRoot(root string) string {
	if root == "" {
		return "the given paths"
	}
	return relPath(root)
}

// buildableIn picks the one Stack or Image defined in file.
func buildableIn(set *recipe.Set, file string) (string, error) {
	abs, _ := filepath.Abs(file)
	var names []string
	for _, d := range set.Docs {
		if d.File == abs && (d.Stack != nil || d.Image != nil) {
			names = append(names, d.Header().Name.Value)
		}
	}
	switch len(names) {
	case 1:
		return names[0], nil
	case 0:
		return "", cannot("%s holds no Stack or Image to build", file)
	}
	return "", cannot("%s holds several targets (%s): name one instead of the file", file, strings.Join(names, ", "))
}

// loadFailure classifies an error from loading: recipe problems are exit 1.
func loadFailure(err error) error {
	var errs recipe.Errors
	if errors.As(err, &errs) {
		return problems(errs)
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return cannot("%w", err)
}
