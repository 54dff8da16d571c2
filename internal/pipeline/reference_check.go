package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/ccf-ai-infra/macabox/internal/compare"
	"github.com/ccf-ai-infra/macabox/internal/evidence"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// ReferenceErrors checks, for validate, the references of every image and
// stack of set whose tests compare or measure: each must be recorded, and
// must have what the test looks for (every JSON path a compare names, every
// metric a bench reads). Problems are positioned at the test's compare or
// bench block, or at the field or metric concerned, since that is what the
// author changes, or records again. Call it on a set that validates.
func ReferenceErrors(set *recipe.Set) recipe.Errors {
	var errs recipe.Errors
	seen := map[string]bool{}
	for _, d := range set.Docs {
		if d.Stack == nil && d.Image == nil {
			continue
		}
		p, err := plan.New(set, d.Name(), plan.Options{})
		if err != nil {
			continue
		}
		dir := evidence.ReferenceDir(d.File, d.Name())
		for _, st := range p.Smoke {
			if st.Source == nil || (st.Source.Compare == nil && st.Source.Bench == nil) {
				continue
			}
			for _, e := range testReferenceErrors(st, dir, p.Target) {
				if key := e.Error(); !seen[key] {
					seen[key] = true
					errs = append(errs, e)
				}
			}
		}
	}
	return errs
}

// testReferenceErrors checks one test's reference.
func testReferenceErrors(st plan.SmokeTest, dir, target string) recipe.Errors {
	src := st.Source
	field, at := "compare", recipe.Pos{}
	if src.Compare != nil {
		at = src.Compare.Pos
	} else {
		field, at = "bench", src.Bench.Pos
	}
	file := filepath.Join(dir, evidence.FileName(st.Name))
	ref, err := evidence.ReadReference(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return recipe.Errors{{Pos: at, Field: field, Msg: fmt.Sprintf("no reference recorded for %s (%s is missing): run macabox reference record %s --image REF_IMAGE",
			target, RelPath(file), target)}}
	case err != nil:
		return recipe.Errors{{Pos: at, Field: field, Msg: fmt.Sprintf("the reference recorded for %s cannot be read: %v", target, err)}}
	}
	var errs recipe.Errors
	if c := src.Compare; c != nil && len(c.Fields) > 0 {
		doc, err := compare.ParseJSON(output(ref))
		if err != nil {
			return recipe.Errors{{Pos: at, Field: "fields", Msg: fmt.Sprintf("the output recorded for %s (%s) is not JSON, so it has no fields to compare: %v", target, RelPath(file), err)}}
		}
		for _, f := range c.Fields {
			path, err := compare.ParsePath(f.Path.Value)
			if err != nil {
				continue // reported by recipe validation
			}
			if _, err := path.Lookup(doc); err != nil {
				errs = append(errs, &recipe.Error{Pos: f.Path.Pos, Field: "path", Msg: fmt.Sprintf("JSON path %s is not in the output recorded for %s (%s): %v",
					f.Path.Value, target, RelPath(file), err)})
			}
		}
	}
	if b := src.Bench; b != nil {
		recorded := ref.Smoke().Metrics
		for _, m := range b.Metrics {
			if _, ok := recorded[m.Name.Value]; !ok {
				errs = append(errs, &recipe.Error{Pos: m.Name.Pos, Field: "name", Msg: fmt.Sprintf("metric %q is not in the reference recorded for %s (%s): record it again with macabox reference record %s --image REF_IMAGE",
					m.Name.Value, target, RelPath(file), target)})
			}
		}
	}
	return errs
}

func output(r *evidence.Reference) string {
	if r.Output == nil {
		return ""
	}
	return *r.Output
}
