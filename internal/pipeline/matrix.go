package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// MatrixVerb is what a matrix run does to every cell.
type MatrixVerb string

const (
	MatrixBuild  MatrixVerb = "build"
	MatrixTest   MatrixVerb = "test"
	MatrixExport MatrixVerb = "export"
)

// MatrixOptions are `macabox build|test|export MATRIX`: the options of
// the verb, which every cell gets, and where the summary goes. Only the
// verb's own options are read; their target names the matrix.
type MatrixOptions struct {
	Verb   MatrixVerb
	Build  BuildOptions
	Test   TestOptions
	Export ExportOptions
	// Summary are --summary FORMAT=FILE (md or json); the Markdown table
	// is shown on Err in any case.
	Summary []smoke.ReportSpec
	// Out receives what goes to "-"; Err messages and progress.
	Out, Err io.Writer
}

// ErrCellsFailed is wrapped when a matrix ran and a cell did not pass.
var ErrCellsFailed = errors.New("matrix cells failed")

type cellsFailed struct{ failed, total int }

func (e *cellsFailed) Error() string {
	return fmt.Sprintf("%d of %d matrix cells failed (see the summary)", e.failed, e.total)
}

func (e *cellsFailed) Is(target error) bool { return target == ErrCellsFailed }

// IsMatrix reports whether targets name a Matrix, which is then the only
// target: a matrix's cells are run and summed up together. The recipes are
// only read here; they are validated when the run resolves its target.
func IsMatrix(rootFlag string, targets []string) (bool, error) {
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
		return false, nil // the run reports it, as for any target
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
	abs, _ := filepath.Abs(target)
	var found *recipe.Document
	for _, d := range set.Docs {
		if d.File != abs {
			continue
		}
		if d.Stack != nil || d.Image != nil || found != nil {
			return nil
		}
		if d.Matrix != nil {
			found = d
		}
	}
	return found
}

func isFileTarget(target string) bool {
	return strings.ContainsRune(target, filepath.Separator) || strings.HasSuffix(target, ".yaml") || strings.HasSuffix(target, ".yml")
}

// RunMatrix runs the verb on every cell of the matrix, in order, and
// writes the summary. A cell that fails does not stop the others; the
// error then wraps ErrCellsFailed. Work that could not be done at all (a
// flag, the builder, Docker) wraps ErrCannot as usual.
func RunMatrix(ctx context.Context, o MatrixOptions) (*MatrixSummary, error) {
	var target, root string
	switch o.Verb {
	case MatrixBuild:
		target, root = o.Build.Targets[0], o.Build.Root
	case MatrixTest:
		target, root = o.Test.Target, o.Test.Root
	case MatrixExport:
		target, root = o.Export.Target, o.Export.Root
	default:
		return nil, cannot("no matrix verb %q", o.Verb)
	}
	tg, err := ResolveTarget(root, target)
	if err != nil {
		return nil, err
	}
	doc, _ := tg.Set.Lookup(tg.Name)
	if doc.Matrix == nil {
		return nil, cannot("%s is not a Matrix", tg.Name)
	}
	sum := newSummary(tg, doc, o.Verb)
	switch o.Verb {
	case MatrixBuild:
		err = buildMatrix(ctx, o.Build, tg, sum)
	case MatrixTest:
		err = testMatrix(ctx, o.Test, tg, sum)
	case MatrixExport:
		err = exportMatrix(ctx, o.Export, tg, sum)
	}
	if err != nil {
		return nil, err
	}
	sum.finish()
	if err := writeSummary(sum, o.Summary, o.Out, o.Err); err != nil {
		return sum, err
	}
	if !sum.OK {
		return sum, &cellsFailed{failed: sum.failed(), total: len(sum.Cells)}
	}
	return sum, nil
}

// newSummary starts the summary with one row per cell, in the matrix's
// order, and points the target at the first cell's set.
func newSummary(tg *Target, doc *recipe.Document, verb MatrixVerb) *MatrixSummary {
	sum := &MatrixSummary{Schema: MatrixSchema, Matrix: tg.Name, Verb: string(verb), Axes: []string{recipe.BaseAxis}}
	for _, a := range doc.Matrix.Axes {
		sum.Axes = append(sum.Axes, a.Name.Value)
	}
	for _, c := range recipe.Cells(doc) {
		sum.Cells = append(sum.Cells, CellSummary{Name: c.Name(), Values: c.Cell.Values})
	}
	return sum
}

// cellTarget is one cell as a target of its own.
func cellTarget(tg *Target, cell string) *Target {
	return &Target{Set: tg.Set, Name: cell, Root: tg.Root}
}

// cellReports gives each cell its own smoke reports: FILE becomes
// FILE's name with the cell before its extension (out/junit.xml →
// out/junit.CELL.xml); "-" stays stdout.
func cellReports(specs []smoke.ReportSpec, cell string) []smoke.ReportSpec {
	out := make([]smoke.ReportSpec, len(specs))
	for i, s := range specs {
		if s.Path != "-" {
			ext := filepath.Ext(s.Path)
			s.Path = strings.TrimSuffix(s.Path, ext) + "." + cell + ext
		}
		out[i] = s
	}
	return out
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
