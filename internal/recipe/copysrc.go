package recipe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// checkCopySource makes sure a copy source names files inside the recipe's
// folder: not absolute, no ".." escape, no symlink resolving outside, and
// present. Globs (*, ?, [..]) must match at least one file. This is the one
// check of Validate that reads the file system.
func checkCopySource(dir, src string) error {
	if err := checkOneLine(src); err != nil {
		return err
	}
	if filepath.IsAbs(src) {
		return fmt.Errorf("%s is absolute; copy sources are relative to the recipe's folder", quote(src))
	}
	clean := filepath.Clean(src)
	if !filepath.IsLocal(clean) {
		return fmt.Errorf("%s leaves the recipe's folder", quote(src))
	}
	matches := []string{filepath.Join(dir, clean)}
	if strings.ContainsAny(clean, "*?[") {
		var err error
		matches, err = filepath.Glob(filepath.Join(dir, clean))
		if err != nil {
			return fmt.Errorf("%s is not a valid pattern", quote(src))
		}
		if len(matches) == 0 {
			return fmt.Errorf("%s matches no file beside the recipe", quote(src))
		}
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("cannot resolve the recipe's folder %s", quote(dir))
	}
	for _, m := range matches {
		real, err := filepath.EvalSymlinks(m)
		if errors.Is(err, fs.ErrNotExist) {
			if _, lerr := os.Lstat(m); lerr == nil {
				return fmt.Errorf("%s is a symlink to a missing file", quote(src))
			}
			return fmt.Errorf("no file %s beside the recipe", quote(src))
		}
		if err != nil {
			return fmt.Errorf("cannot resolve %s: %w", quote(src), err)
		}
		rel, err := filepath.Rel(root, real)
		if err != nil || !filepath.IsLocal(rel) && rel != "." {
			return fmt.Errorf("%s is a symlink that leads outside the recipe's folder", quote(src))
		}
	}
	return nil
}
