package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/scaffold"
)

// checkFree refuses a project whose names are taken in the tree or the
// catalog, or whose files exist: init adds a project, it never changes one.
func checkFree(root string, set *recipe.Set, o InitOptions, ch *choice) error {
	var taken []string
	check := func(name string) {
		d, ok := set.Lookup(name)
		switch {
		case !ok:
		case d.Embedded == nil:
			at := d.Pos
			at.File = RelPath(at.File)
			taken = append(taken, fmt.Sprintf("%s is already the %s at %s", name, d.Kind(), at))
		case name == o.Name && d.Layer != nil && o.From == name:
			// Starting from a catalog layer under its own name overrides it.
		case name == o.Name && d.Layer != nil:
			taken = append(taken, fmt.Sprintf("%s is a layer of the catalog: start from it with --from %s to replace it, or choose another name", name, name))
		default:
			taken = append(taken, fmt.Sprintf("%s is the %s %s of the catalog: choose another name", name, d.Kind(), d.File))
		}
	}
	check(o.Name)
	for _, b := range ch.bases {
		check(scaffold.StackName(o.Name, b.Name))
	}
	if ch.sim != nil {
		check(scaffold.StackName(o.Name, ch.sim.Name))
	}
	dir := filepath.Join(root, "recipes", o.Name)
	if entries, err := os.ReadDir(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		taken = append(taken, fmt.Sprintf("%s already exists%s: init writes a new project's folder only", RelPath(dir), holding(entries)))
	}
	for _, doc := range []string{o.Name + ".md", o.Name + ".zh-CN.md"} {
		p := filepath.Join(root, "docs", doc)
		if _, err := os.Lstat(p); err == nil {
			taken = append(taken, fmt.Sprintf("%s already exists", RelPath(p)))
		}
	}
	if len(taken) > 0 {
		return cannot("init %s: nothing written:\n  %s", o.Name, strings.Join(taken, "\n  "))
	}
	return nil
}

// holding names a few entries of a folder for a message.
func holding(entries []os.DirEntry) string {
	if len(entries) == 0 {
		return ""
	}
	var list []string
	for _, e := range entries[:min(3, len(entries))] {
		list = append(list, recipe.Escape(e.Name()))
	}
	if len(entries) > 3 {
		list = append(list, "...")
	}
	return " and holds " + strings.Join(list, ", ")
}

// writeProject writes files below root, the shared ones only when absent,
// and returns what it wrote and what it kept. A file that appeared since
// the check stops it, and what it wrote is removed again.
func writeProject(root string, files []scaffold.File) (written, kept []string, err error) {
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		if _, err := os.Lstat(p); err == nil && f.Shared {
			kept = append(kept, f.Path)
			continue
		}
		if err := writeNew(p, f.Data); err != nil {
			for _, w := range slices.Backward(written) {
				os.Remove(filepath.Join(root, filepath.FromSlash(w)))
			}
			return nil, nil, cannot("writing %s: %w", RelPath(p), err)
		}
		written = append(written, f.Path)
	}
	return written, kept, nil
}
