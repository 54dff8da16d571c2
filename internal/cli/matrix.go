package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// matrixFlags are what build, test and export add for a Matrix target.
type matrixFlags struct {
	summaries []string
}

func (m *matrixFlags) bind(f *pflag.FlagSet) {
	f.StringArrayVar(&m.summaries, "summary", nil, "for a matrix: write the summary of its cells, FORMAT=FILE with FORMAT md or json; FILE - is stdout (repeatable; the Markdown table is shown on stderr in any case)")
}

func (m *matrixFlags) options() ([]smoke.ReportSpec, error) {
	var specs []smoke.ReportSpec
	for _, v := range m.summaries {
		spec, err := pipeline.ParseSummaryFlag(v)
		if err != nil {
			return nil, cannot("--summary: %w", err)
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// run runs the verb over a matrix's cells when the options' targets name
// one, and says whether they did; otherwise the command goes on as for
// any target. Each built cell's name and digest go to stdout.
func (m *matrixFlags) run(ctx context.Context, o pipeline.MatrixOptions, s Streams) (bool, error) {
	specs, err := m.options()
	if err != nil {
		return true, err
	}
	o.Summary, o.Out, o.Err = specs, s.Out, s.Err
	sum, err := pipeline.RunMatrix(ctx, o)
	if errors.Is(err, pipeline.ErrNotMatrix) {
		return false, nil
	}
	if sum != nil && o.Verb != pipeline.MatrixTest {
		for _, c := range sum.Cells {
			if c.Build != nil && c.Build.Status != pipeline.BuildFailed {
				fmt.Fprintf(s.Out, "%s %s\n", c.Name, c.Build.ManifestDigest)
			}
		}
	}
	return true, outcome(err)
}
