package pipeline

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// isMatrix reports whether targets name a Matrix, which is then the only
// target: a matrix's cells are run and summed up together. The recipes are
// only read here; they are validated when the run resolves its target, so
// a tree that does not load is no matrix and the command's usual path
// reports it.
func isMatrix(rootFlag string, targets []string) (bool, error) {
	root, err := FindRoot(rootFlag)
	if err != nil {
		return false, err
	}
	var extra []string
	for _, t := range targets {
		if isFileTarget(t) {
			extra = append(extra, t)
		}
	}
	set, err := LoadSet(root, extra...)
	if set == nil || (err != nil && !errors.As(err, new(recipe.Errors))) {
		return false, nil
	}
	matrices := 0
	for _, t := range targets {
		if matrixDoc(set, t) != nil {
			matrices++
		}
	}
	if matrices > 0 && len(targets) > 1 {
		return false, cannot("a matrix runs on its own: give it as the only target")
	}
	return matrices == 1, nil
}

// matrixDoc is the Matrix target names, by name or as the only buildable
// document of a file; nil when it names none.
func matrixDoc(set *recipe.Set, target string) *recipe.Document {
	if !isFileTarget(target) {
		if d, ok := set.Lookup(target); ok && d.Matrix != nil {
			return d
		}
		return nil
	}
	name, err := buildableIn(set, target)
	if err != nil {
		return nil
	}
	if d, ok := set.Lookup(name); ok && d.Matrix != nil {
		return d
	}
	return nil
}

// cellTarget is one cell as a target of its own.
func cellTarget(tg *Target, cell string) *Target {
	return &Target{Set: tg.Set, Name: cell, Root: tg.Root}
}

// targetCells are the cells of a Matrix target, in order; nil for any
// other target.
func targetCells(tg *Target) []string {
	doc, ok := tg.Set.Lookup(tg.Name)
	if !ok || doc.Matrix == nil {
		return nil
	}
	var names []string
	for _, c := range recipe.Cells(doc) {
		names = append(names, c.Name())
	}
	return names
}

// cellReports gives each cell its own smoke reports: FILE becomes
// FILE's name with the cell before its extension (out/junit.xml →
// out/junit.CELL.xml); "-" stays stdout.
func cellReports(specs []smoke.ReportSpec, cell string) []smoke.ReportSpec {
	out := make([]smoke.ReportSpec, len(specs))
	for i, s := range specs {
		s.Path = cellFile(s.Path, cell)
		out[i] = s
	}
	return out
}

// cellFile is a file of one cell: FILE with the cell's name before its
// extension; "" and "-" (stdout) stay as they are.
func cellFile(path, cell string) string {
	if path == "" || path == "-" {
		return path
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "." + cell + ext
}
