package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/device"
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

Without arguments it checks the whole recipe tree. Files given as arguments are
checked in the context of the tree, so they may refer to its images and layers.

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
		errs = append(errs, recipe.Validate(set, recipe.Rules{Size: device.ParseSize})...)
	}
	if set != nil && len(errs) == 0 {
		// References are checked against recipes that are otherwise right:
		// only those can be planned into the tests that use them.
		errs = append(errs, pipeline.ReferenceErrors(set)...)
	}
	errs = onlyFiles(errs, o.paths)
	if set != nil {
		// A lock is checked with its recipe: validating one file checks its lock.
		errs = append(errs, pipeline.LockErrors(set, func(f string) bool {
			return len(onlyFiles(recipe.Errors{{Pos: recipe.Pos{File: f}}}, o.paths)) > 0
		})...)
	}
	if len(errs) > 0 {
		return problems(errs)
	}
	n := 0
	if set != nil {
		n = len(set.Docs)
	}
	fmt.Fprintf(s.Err, "%d recipe%s valid\n", n, plural(n))
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
