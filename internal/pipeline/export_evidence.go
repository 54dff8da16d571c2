package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/evidence"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// bundleEvidence gathers what a bundle carries besides the build: the
// references of the target's compare and bench tests, the test report
// given and the base's os. Warnings say what a reviewer will
// miss: a reference not recorded, no test report.
func bundleEvidence(tg *Target, pr *Prepared, testReport string) (bundle.Evidence, []string, error) {
	p := pr.Plan
	ev := bundle.Evidence{References: map[string][]byte{}, OS: baseOS(tg, p.Images)}
	var warnings []string
	for _, st := range p.Smoke {
		if !smoke.WantsReference(st.Test) {
			continue
		}
		name := evidence.FileName(st.Name)
		data, err := os.ReadFile(filepath.Join(pr.References, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			warnings = append(warnings, fmt.Sprintf("no reference recorded for test %q: the bundle cannot show how it compares with the reference platform (run macabox reference record %s --image REF_IMAGE)", st.Name, p.Target))
			continue
		case err != nil:
			return ev, nil, cannot("reading the reference of %q: %w", st.Name, err)
		}
		if _, err := evidence.ParseReference(data); err != nil {
			return ev, nil, cannot("the reference of %q (%s): %w", st.Name, RelPath(filepath.Join(pr.References, name)), err)
		}
		ev.References[name] = data
	}
	if testReport != "" {
		data, err := os.ReadFile(testReport)
		if err != nil {
			return ev, nil, cannot("--test-report: %w", err)
		}
		if _, err := smoke.ReadCTRF(data); err != nil {
			return ev, nil, cannot("--test-report %s: %w", testReport, err)
		}
		ev.TestReport = data
	} else {
		warnings = append(warnings, fmt.Sprintf("the bundle carries no test report: run macabox test %s --report ctrf=FILE on the image and export with --test-report FILE", p.Target))
	}
	return ev, warnings, nil
}

// baseOS is the os the base chain's images declare, the last that says.
func baseOS(tg *Target, images []string) string {
	for i := len(images) - 1; i >= 0; i-- {
		if d, ok := tg.Set.Lookup(images[i]); ok && d.Image != nil && d.Image.OS.Value != "" {
			return d.Image.OS.Value
		}
	}
	return ""
}

// markCannotEvidence marks a bundle refused for its test report as work that
// could not be done, like a bad flag: the report was not of this image.
func markCannotEvidence(err error) error {
	if errors.Is(err, bundle.ErrTestReport) {
		return markCannot(err)
	}
	return err
}
