package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// planCells plans every cell. A cell whose plan fails is recorded as not
// built; a failure no cell could get past (a missing lock under
// --locked, say) stops the run. A warning several cells share is shown
// once.
func planCells(o RequestOptions, tg *Target, sum *MatrixSummary, warn io.Writer) ([]*builtCell, error) {
	var cells []*builtCell
	shown := map[plan.Warning]bool{}
	assumptions := 0
	for i := range sum.Cells {
		row := &sum.Cells[i]
		pr, err := prepareTarget(cellTarget(tg, row.Name), o)
		if err != nil {
			if stop := notBuilt(row, err); stop != nil {
				return nil, stop
			}
			continue
		}
		for _, w := range pr.Plan.Warnings {
			if !shown[w] {
				shown[w] = true
				fmt.Fprintf(warn, "warning: %s\n", w)
			}
		}
		if len(pr.Plan.Assumptions) > 0 {
			assumptions++
		}
		cells = append(cells, &builtCell{row: row, pr: pr})
	}
	if assumptions > 0 {
		fmt.Fprintf(warn, "note: %d cell(s) of %s pin values no source shows, to check on hardware; macabox plan CELL lists them\n", assumptions, tg.Name)
	}
	return cells, nil
}

// notBuilt records why a cell could not be planned and goes on to the
// next, unless the error is work that cannot be done for any cell (a
// flag, a missing lock under --locked), which it returns to stop the run.
func notBuilt(row *CellSummary, err error) error {
	if errors.Is(err, ErrCannot) {
		return err
	}
	row.Build = &CellBuild{Status: BuildFailed, Error: err.Error()}
	return nil
}

// checkCellTags refuses cells that would tag the same image: the matrix's
// tags must refer to something that differs between its cells. Pushing
// needs tags of the matrix's own, since the default names no registry.
func checkCellTags(tg *Target, cells []*builtCell, push bool) error {
	owner := map[string]string{}
	for _, c := range cells {
		p := c.pr.Plan
		if push && len(p.Tags) == 0 {
			return cannot("--push needs the matrix to name its cells' images: give it tags such as REGISTRY/NAME:${AXIS}")
		}
		for _, tag := range DefaultTag(p) {
			if other, taken := owner[tag]; taken {
				return recipe.Errors{{Pos: tagsPos(tg, p.Target), Field: "tags", Msg: fmt.Sprintf(
					"cells %s and %s would both be tagged %s: make the matrix's tags refer to an axis (${NAME}) or to ${MACA_VERSION}", other, p.Target, tag)}}
			}
			owner[tag] = p.Target
		}
	}
	return nil
}

// tagsPos is where a cell's tags are written: the matrix's tags, or its
// name when it has none.
func tagsPos(tg *Target, cell string) recipe.Pos {
	d, _ := tg.Set.Lookup(cell)
	if len(d.Stack.Tags) > 0 {
		return d.Stack.Tags[0].Pos
	}
	return d.Stack.Header.Name.Pos
}

// cellRequests makes each planned cell's build request, with the outputs
// the build asks for. Devices and mounts are resolved too, before any
// build, so that a bad flag costs none.
func cellRequests(ctx context.Context, o BuildOptions, tg *Target, cells []*builtCell) error {
	prepared := make([]*Prepared, len(cells))
	for i, c := range cells {
		prepared[i] = c.pr
	}
	reqs, _, err := requests(ctx, o.Request, tg.Root, prepared)
	if err != nil {
		return err
	}
	outputs := o.outputs() // buildMatrix refuses --output
	for i, c := range cells {
		c.req = reqs[i]
		c.req.Outputs = outputs
		if o.Test != nil {
			if _, err := o.Test.container(c.pr.Plan.Runtime); err != nil {
				return err
			}
		}
	}
	return nil
}
