package cli

import (
	"context"
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

// run runs the verb over a matrix's cells when the targets name one, and
// says whether they did (a problem with the targets counts: it is the
// answer). Each built cell's name and digest go to stdout.
func (m *matrixFlags) run(ctx context.Context, root string, targets []string, o pipeline.MatrixOptions, s Streams) (bool, error) {
	is, err := pipeline.IsMatrix(root, targets)
	switch {
	case err != nil:
		return true, outcome(err)
	case !is && len(m.summaries) > 0:
		return true, cannot("--summary sums up the cells of a matrix; %s is none", targets[0])
	case !is:
		return false, nil
	}
	if o.Summary, err = m.options(); err != nil {
		return true, err
	}
	o.Out, o.Err = s.Out, s.Err
	sum, err := pipeline.RunMatrix(ctx, o)
	if sum != nil && o.Verb != pipeline.MatrixTest {
		for _, c := range sum.Cells {
			if c.Build != nil && c.Build.Status != pipeline.BuildFailed {
				fmt.Fprintf(s.Out, "%s %s\n", c.Name, c.Build.ManifestDigest)
			}
		}
	}
	return true, outcome(err)
}
