package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/plan"
)

// testCells runs each built cell's smoke tests in its image, one cell
// after the other, each with reports of its own (see cellReports). A
// cell whose tests fail, or cannot run, is recorded and the next one
// tested.
func testCells(ctx context.Context, engine *dockerEngine, o SmokeOptions, cells []*builtCell) error {
	cli, err := engine.ready(ctx)
	if err != nil {
		return err
	}
	for _, c := range cells {
		if c.res == nil {
			c.row.Tests = &CellTests{Status: TestsNotRun}
			continue
		}
		p, image := c.pr.Plan, c.res.Tags[0]
		co := o
		co.Reports = cellReports(o.Reports, c.row.Name)
		start := time.Now()
		rep, err := smokeTest(ctx, cli, co, planRun(p, image, c.pr.References))
		if ctx.Err() != nil {
			return fmt.Errorf("matrix tests cancelled: %w", context.Cause(ctx))
		}
		c.row.Tests = testsOf(rep, image, err, time.Since(start))
	}
	return nil
}

// pushCells pushes the cells whose tests passed: a second solve of each
// request, answered from cache with the digest that was tested.
func pushCells(ctx context.Context, b builder.ImageBuilder, cells []*builtCell, mode string, w io.Writer) error {
	var passed []*builtCell
	for _, c := range cells {
		if c.res != nil && c.row.Tests != nil && c.row.Tests.Status == TestsPassed {
			c.req.Outputs = []builder.Output{{Type: builder.OutputPush}}
			passed = append(passed, c)
		}
	}
	prog, err := builder.NewProgress(ctx, w, mode)
	if err != nil {
		return cannot("--progress: %w", err)
	}
	for _, c := range passed {
		c.req.Progress = prog
		res, err := b.Build(ctx, c.req)
		if err == nil && res.ManifestDigest != c.res.ManifestDigest {
			err = fmt.Errorf("pushed digest %s differs from the tested %s", res.ManifestDigest, c.res.ManifestDigest)
		}
		if err != nil {
			c.row.Build.Status, c.row.Build.Error = BuildPushFailed, err.Error()
			continue
		}
		c.row.Build.Pushed = true
	}
	return prog.Close()
}

// writeCellMetadata writes the metadata of every built cell, keyed by
// cell.
func writeCellMetadata(path string, cells []*builtCell) error {
	all := map[string]builder.Metadata{}
	for _, c := range cells {
		if c.res != nil {
			all[c.row.Name] = c.res.Metadata()
		}
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return cannot("--metadata-file: %w", err)
	}
	return nil
}

// testMatrix runs every cell's smoke tests in the image a build of the
// cell made.
func testMatrix(ctx context.Context, o TestOptions, tg *Target, sum *MatrixSummary) error {
	if o.Image != "" {
		return cannot("--image names one image: a matrix tests each cell in the image its build made")
	}
	var cells []*builtCell
	for i := range sum.Cells {
		row := &sum.Cells[i]
		p, err := plan.New(tg.Set, row.Name, plan.Options{Args: o.Args})
		if err != nil {
			row.Tests = &CellTests{Status: TestsError, Error: err.Error()}
			continue
		}
		if _, err := o.Smoke.container(p.Runtime); err != nil {
			return err
		}
		image := DefaultTag(p)[0]
		cells = append(cells, &builtCell{row: row, pr: &Prepared{Plan: p, References: referenceDir(tg.Set, p.Target)}, res: &builder.Result{Tags: []string{image}}})
	}
	engine := newDockerEngine()
	defer engine.close()
	return testCells(ctx, engine, o.Smoke, cells)
}
