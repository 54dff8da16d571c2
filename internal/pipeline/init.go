package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/scaffold"
)

// InitOptions are `macabox init NAME`.
type InitOptions struct {
	// Root is --root, the project's folder; "" means the recipe tree around
	// the working directory, else the working directory itself.
	Root string
	Name string
	// Base names the image of the project's stack; "" means the newest
	// MACA base of the catalog that the layer fits (for a copied layer,
	// first the bases the catalog's stacks put it on).
	Base string
	// From names a layer of the catalog to start from.
	From string
}

// InitResult is what Init wrote.
type InitResult struct {
	Root string
	// Written are the files written; Kept the shared ones (the schema)
	// that existed and were left as they were. Paths are relative to Root.
	Written, Kept []string
	Layer         string
	// Stacks are the project's stacks: on Base, then on the simulated base
	// when there is one.
	Stacks []string
	Base   string
}

// Init writes the starting files of a project's own recipe (see scaffold)
// into its tree, after checking them as validate would: nothing is written
// when the name, the base or the layer to start from is wrong, when one of
// the files or names exists already, or when the result would not validate.
func Init(o InitOptions) (*InitResult, error) {
	if err := recipe.CheckName(o.Name); err != nil {
		return nil, cannot("init %s: %w", o.Name, err)
	}
	root, err := initRoot(o.Root)
	if err != nil {
		return nil, err
	}
	set, err := LoadSet(root)
	var treeErrs recipe.Errors
	if err != nil && !errors.As(err, &treeErrs) {
		return nil, err
	}
	ch, err := chooseScaffold(set, o)
	if err != nil {
		return nil, err
	}
	if err := checkFree(root, set, o, ch); err != nil {
		return nil, err
	}
	files, base, err := firstValid(root, o, ch)
	if err != nil {
		return nil, err
	}
	res := &InitResult{Root: root, Layer: o.Name, Base: base.Name, Stacks: []string{scaffold.StackName(o.Name, base.Name)}}
	if ch.sim != nil && !base.Simulated {
		res.Stacks = append(res.Stacks, scaffold.StackName(o.Name, ch.sim.Name))
	}
	res.Written, res.Kept, err = writeProject(root, files)
	return res, err
}

// initRoot is the folder the project's files go into.
func initRoot(flag string) (string, error) {
	if flag == "" {
		flag = os.Getenv(RootEnv)
	}
	if flag != "" {
		if !isDir(flag) {
			return "", cannot("--root %s is not a folder", flag)
		}
		return filepath.Abs(flag)
	}
	root, err := FindRoot("")
	if err != nil || root != "" {
		return root, err
	}
	if root, err = os.Getwd(); err != nil {
		return "", cannot("%w", err)
	}
	return root, nil
}

// firstValid makes the project's files on each candidate base in turn and
// returns the first set that validates in the tree.
func firstValid(root string, o InitOptions, ch *choice) ([]scaffold.File, scaffold.Base, error) {
	var first error
	for _, base := range ch.bases {
		opts := scaffold.Options{Name: o.Name, Base: base, From: ch.from}
		if ch.sim != nil && !base.Simulated {
			opts.Sim = ch.sim
		}
		files, err := scaffold.Files(opts)
		if err != nil {
			return nil, base, err
		}
		err = validateStaged(root, o.Name, files)
		if err == nil {
			return files, base, nil
		}
		var errs recipe.Errors
		if !errors.As(err, &errs) {
			return nil, base, err
		}
		if first == nil {
			first = err
		}
	}
	if len(ch.bases) > 1 {
		return nil, scaffold.Base{}, fmt.Errorf("%w\nno base image of the catalog fits %s: choose one with --base", first, o.Name)
	}
	return nil, scaffold.Base{}, first
}

// validateStaged writes the project's files into a temporary copy of their
// place and validates them with the tree and the catalog; problems of the
// rest of the tree are not the new project's. Positions name the files
// where they will be written.
func validateStaged(root, name string, files []scaffold.File) error {
	tmp, err := os.MkdirTemp("", "macabox-init-")
	if err != nil {
		return cannot("%w", err)
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		if err := writeNew(filepath.Join(tmp, filepath.FromSlash(f.Path)), f.Data); err != nil {
			return cannot("%w", err)
		}
	}
	staged := filepath.Join(tmp, "recipes", name)
	set, err := LoadSet(root, staged)
	var errs recipe.Errors
	if err != nil && !errors.As(err, &errs) {
		return err
	}
	if set != nil {
		errs = append(errs, Validate(set)...)
	}
	var mine recipe.Errors
	for _, e := range errs {
		if rel, ok := strings.CutPrefix(e.Pos.File, tmp+string(filepath.Separator)); ok {
			c := *e
			c.Pos.File = filepath.Join(root, rel)
			mine = append(mine, &c)
		}
	}
	return mine.Err()
}
