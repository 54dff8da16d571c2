package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// ErrNotMatrix is returned by RunMatrix when the targets name no matrix:
// nothing was done, and the command goes on as for any target.
var ErrNotMatrix = errors.New("not a matrix")

type cellsFailed struct{ failed, total int }

func (e *cellsFailed) Error() string {
	return fmt.Sprintf("%d of %d matrix cells failed (see the summary)", e.failed, e.total)
}

func (e *cellsFailed) Is(target error) bool { return target == ErrCellsFailed }

// RunMatrix runs the verb on every cell of the matrix the options' targets
// name, in order, and writes the summary. A cell that fails does not stop
// the others; the error then wraps ErrCellsFailed. Work that could not be
// done at all (a flag, the builder, Docker) wraps ErrCannot as usual. When
// the targets name no matrix, it returns ErrNotMatrix and does nothing.
func RunMatrix(ctx context.Context, o MatrixOptions) (*MatrixSummary, error) {
	var targets []string
	var root string
	switch o.Verb {
	case MatrixBuild:
		targets, root = o.Build.Targets, o.Build.Root
	case MatrixTest:
		targets, root = []string{o.Test.Target}, o.Test.Root
	case MatrixExport:
		targets, root = []string{o.Export.Target}, o.Export.Root
	default:
		return nil, cannot("no matrix verb %q", o.Verb)
	}
	switch is, err := isMatrix(root, targets); {
	case err != nil:
		return nil, err
	case !is && len(o.Summary) > 0:
		return nil, cannot("--summary sums up the cells of a matrix; %s is none", strings.Join(targets, ", "))
	case !is:
		return nil, ErrNotMatrix
	}
	tg, err := ResolveTarget(root, targets[0])
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
// order.
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
