package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

type validateOptions struct {
	*globalOptions
	paths []string
}

func newValidateCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &validateOptions{globalOptions: g}
	return &cobra.Command{
		Use:   "validate [FILE|DIR]...",
		Short: "Check recipes and report every problem with file, line and column",
		Long: `Validate reads recipes strictly (unknown keys, wrong types, missing fields) and checks
what ties them together (references, cycles, arguments, layer requirements, copy
sources), and the lock file next to each image or stack if it has one. Every
problem is reported at once on stderr as file:line:col: message.

Without arguments it checks the whole recipe tree with the catalog built into
macabox. Files given as arguments are checked in the context of the tree and the
catalog, so they may refer to their images and layers. A local document that
replaces one of the catalog (same name and kind) is reported once, as info; one of
another kind than the catalog's of that name is a problem.

A test with compare: or bench: needs its reference recorded (refs/<target>/ beside
the target's recipe, by "macabox reference record"): a missing reference, a JSON
path the recorded output does not have, or a metric it lacks is a problem too.`,
		Example: `  # check everything under images/ and recipes/
  macabox validate

  # check one file (it may use images from the tree)
  macabox validate recipes/mineru/mineru.yaml

  # check a tree elsewhere
  macabox validate --root ../my-recipes`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			return runValidate(o, s)
		},
	}
}

func runValidate(o *validateOptions, s Streams) error {
	root, err := pipeline.FindRoot(o.root)
	if err != nil {
		return outcome(err)
	}
	set, err := pipeline.LoadSet(root, o.paths...)
	var errs recipe.Errors
	if err != nil && !errors.As(err, &errs) {
		return outcome(err)
	}
	if set != nil {
		errs = append(errs, pipeline.Validate(set)...)
	}
	if set != nil && len(errs) == 0 {
		// References are checked against recipes that are otherwise right:
		// only those can be planned into the tests that use them.
		errs = append(errs, pipeline.ReferenceErrors(set)...)
	}
	errs = onlyFiles(errs, o.paths)
	if err := printOverrides(s, set, o.paths); err != nil {
		return outcome(err)
	}
	if set != nil {
		// A lock is checked with its recipe: validating one file checks its lock.
		errs = append(errs, pipeline.LockErrors(set.WithCells(), func(f string) bool {
			return len(onlyFiles(recipe.Errors{{Pos: recipe.Pos{File: f}}}, o.paths)) > 0
		})...)
	}
	if len(errs) > 0 {
		return problems(errs)
	}
	local, embedded := 0, 0
	for _, d := range set.Docs {
		if d.Embedded != nil {
			embedded++
		} else {
			local++
		}
	}
	fmt.Fprintf(s.Err, "%d recipe%s valid", local, plural(local))
	if embedded > 0 {
		fmt.Fprintf(s.Err, ", with %d of catalog@%s", embedded, readVersion().Version)
	}
	fmt.Fprintln(s.Err)
	return nil
}

// printOverrides says, once per document and as info, which local documents
// under paths replace one of the catalog with something else (a copy of the
// catalog's file changes nothing).
func printOverrides(s Streams, set *recipe.Set, paths []string) error {
	overrides, err := pipeline.CatalogOverrides(set)
	if err != nil {
		return err
	}
	for _, o := range overrides {
		at := recipe.Errors{{Pos: o.Local.Pos}}
		if o.Copy || len(onlyFiles(at, paths)) == 0 {
			continue
		}
		pos := o.Local.Pos
		pos.File = pipeline.RelPath(pos.File)
		fmt.Fprintf(s.Err, "%s: info: %s %q replaces the catalog's (%s)\n", pos, o.Local.Kind(), o.Local.Name(), o.Catalog.Pos)
	}
	return nil
}

// onlyFiles keeps the problems located under the given paths, so that checking
// one file does not report the rest of the tree. No paths means keep all.
func onlyFiles(errs recipe.Errors, paths []string) recipe.Errors {
	if len(paths) == 0 {
		return errs
	}
	var abs []string
	for _, p := range paths {
		if a, err := filepath.Abs(p); err == nil {
			abs = append(abs, a)
		}
	}
	var kept recipe.Errors
	for _, e := range errs {
		f, err := filepath.Abs(e.Pos.File)
		if err != nil || pipeline.CoveredBy(f, abs) {
			kept = append(kept, e)
		}
	}
	return kept
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
