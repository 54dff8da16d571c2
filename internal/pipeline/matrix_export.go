package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/bundle"
)

// exportMatrix writes one bundle per cell into the directory o.Out, as
// CELL.tar.gz: each exactly the bundle `macabox export CELL` writes, so a
// reviewer reproduces a cell from its file alone. The cells are built on
// one builder connection, in order, sharing their bases' steps through
// BuildKit's cache; a cell that fails is recorded and the others go on.
// A test report is read per cell, from the file `macabox test MATRIX
// --report ctrf=FILE` wrote for it (see cellFile).
func exportMatrix(ctx context.Context, o ExportOptions, tg *Target, sum *MatrixSummary) error {
	switch {
	case bundle.IsTarball(o.Out):
		return cannot("-o %s: a matrix exports one bundle per cell: give a new or empty directory", o.Out)
	case o.Request.NoReproducible:
		return cannot("a bundle is rebuilt bit for bit: it cannot be made without a SOURCE_DATE_EPOCH")
	case len(o.Request.Tags) > 0:
		return cannot("--tag names one image: a matrix names its cells' images with its tags")
	}
	if err := checkExportDest(o.Out); err != nil {
		return err
	}
	exports, err := prepareCellExports(ctx, o, tg, sum)
	if err != nil {
		return err
	}
	b, err := o.Builder.connect(ctx, nil)
	if err != nil {
		return err
	}
	defer b.Close()
	for i, ex := range exports {
		if ex == nil {
			continue
		}
		row := &sum.Cells[i]
		fmt.Fprintf(o.Err, "[matrix] cell %d of %d: %s\n", i+1, len(exports), row.Name)
		start := time.Now()
		res, built, err := ex.write(ctx, b, filepath.Join(o.Out, row.Name+".tar.gz"))
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("matrix export cancelled: %w", context.Cause(ctx))
		case errors.Is(err, ErrCannot):
			return err
		case err != nil:
			row.Build = &CellBuild{Status: BuildFailed, Error: err.Error(), Seconds: time.Since(start).Seconds()}
			continue
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(o.Err, "warning: %s: %s\n", row.Name, w)
		}
		row.Build = &CellBuild{
			Status: BuildBuilt, ManifestDigest: res.Expected.ManifestDigest, Tags: built.Tags,
			Steps: built.Steps, CachedSteps: sortedCopy(built.CachedStepNames), Seconds: time.Since(start).Seconds(),
		}
		row.Bundle = res.Path
	}
	return nil
}

// prepareCellExports plans every cell for its bundle, in the summary's
// order; a cell that cannot be planned, or has no test report where one
// is asked for, is recorded as failed and left nil.
func prepareCellExports(ctx context.Context, o ExportOptions, tg *Target, sum *MatrixSummary) ([]*export, error) {
	exports := make([]*export, len(sum.Cells))
	for i := range sum.Cells {
		row := &sum.Cells[i]
		co := o
		co.TestReport = cellFile(o.TestReport, row.Name)
		if co.TestReport != "" {
			if _, err := os.Stat(co.TestReport); err != nil {
				row.Build = &CellBuild{Status: BuildFailed, Error: fmt.Sprintf("no test report of this cell: %v (macabox test %s --report ctrf=%s writes one per cell)", err, sum.Matrix, o.TestReport)}
				continue
			}
		}
		ex, err := prepareExport(ctx, co, cellTarget(tg, row.Name))
		if err != nil {
			if stop := notBuilt(row, err); stop != nil {
				return nil, stop
			}
			continue
		}
		exports[i] = ex
	}
	return exports, nil
}
