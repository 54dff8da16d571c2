package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
)

// builtCell is a cell on its way through a matrix build: planned, then
// built, tested and pushed.
type builtCell struct {
	row *CellSummary
	pr  *Prepared
	req builder.Request
	res *builder.Result
}

// buildMatrix builds every cell on one builder connection and one display,
// in the matrix's order. The cells are built one after the other from
// their own, complete Dockerfiles, so that each cell's image is the very
// image `macabox build CELL` (and a rebuild of its bundle) makes; cells
// that share a base share its work through BuildKit's cache, where every
// cell after the first finds the base's steps, without exporting the base
// (tens of gigabytes for a real MACA image) to hand it over. A cell that
// fails to plan, build or test is recorded and the others go on.
func buildMatrix(ctx context.Context, o BuildOptions, tg *Target, sum *MatrixSummary) error {
	switch {
	case len(o.Request.Tags) > 0:
		return cannot("--tag names one image: a matrix names its cells' images with its tags")
	case len(o.Outputs) > 0:
		return cannot("--output writes one image: build a cell by name to write it, or export the matrix")
	}
	cells, err := planCells(o.Request, tg, sum, o.Err)
	if err != nil {
		return err
	}
	if err := checkCellTags(tg, cells, o.Push); err != nil {
		return err
	}
	if err := cellRequests(ctx, o, tg, cells); err != nil {
		return err
	}
	engine := newDockerEngine()
	defer engine.close()
	if o.Load || o.Test != nil {
		if _, err := engine.ready(ctx); err != nil {
			return err
		}
	}
	b, err := o.Builder.connect(ctx, engine)
	if err != nil {
		return err
	}
	defer b.Close()
	for _, c := range cells {
		if err := b.Check(c.req); err != nil {
			return markCannot(err)
		}
	}
	if err := buildCells(ctx, b, cells, o.Request.Progress, o.Err); err != nil {
		return err
	}
	if o.Test != nil {
		if err := testCells(ctx, engine, *o.Test, cells); err != nil {
			return err
		}
		if o.Push {
			if err := pushCells(ctx, b, cells, o.Request.Progress, o.Err); err != nil {
				return err
			}
		}
	}
	if o.MetadataFile != "" {
		return writeCellMetadata(o.MetadataFile, cells)
	}
	return nil
}

// buildCells builds the cells in order on one display, each shown as a
// step of its own. A failed build is recorded and the next cell built;
// only a cancelled run stops.
func buildCells(ctx context.Context, b builder.ImageBuilder, cells []*builtCell, mode string, w io.Writer) error {
	prog, err := builder.NewProgress(ctx, w, mode)
	if err != nil {
		return cannot("--progress: %w", err)
	}
	for i, c := range cells {
		step := prog.Start(fmt.Sprintf("[matrix] cell %d of %d: %s", i+1, len(cells), c.row.Name))
		c.req.Progress = prog
		start := time.Now()
		res, err := b.Build(ctx, c.req)
		_ = step.Done(err)
		if ctx.Err() != nil {
			_ = prog.Close()
			return fmt.Errorf("matrix build cancelled: %w", context.Cause(ctx))
		}
		if err != nil {
			c.row.Build = &CellBuild{Status: BuildFailed, Error: withBaseHint(err).Error(), Seconds: time.Since(start).Seconds()}
			continue
		}
		c.res = res
		c.row.Build = &CellBuild{
			Status: BuildBuilt, ManifestDigest: res.ManifestDigest, Tags: res.Tags,
			Steps: res.Steps, CachedSteps: sortedCopy(res.CachedStepNames), Seconds: time.Since(start).Seconds(),
		}
		if c.row.Build.ManifestDigest == "" {
			c.row.Build.ManifestDigest = res.ConfigDigest // Docker's embedded builder writes no manifest
		}
	}
	return prog.Close()
}

// sortedCopy is never nil, so that JSON shows an empty list as [].
func sortedCopy(names []string) []string {
	out := append([]string{}, names...)
	slices.Sort(out)
	return out
}
