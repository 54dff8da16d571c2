package recipe

import (
	"fmt"

	"github.com/ccf-ai-infra/macabox/internal/compare"
)

// againstReference checks a test's compare and bench blocks: only a run
// test has an output to compare or time, the limits must mean something,
// and every JSON path must be one. Whether a reference is recorded, and
// whether its output has the paths, is a matter of the reference files
// beside the recipe, which the pipeline checks.
func (v *validator) againstReference(kind string, t Test) {
	if t.Compare != nil && t.Bench != nil {
		v.errs.add(t.Bench.Pos, "bench", "a test either compares its output or measures it; write a second test for the other")
	}
	if c := t.Compare; c != nil {
		if kind != "run" {
			v.errs.add(c.Pos, "compare", "only a run test has an output to compare with a reference")
		}
		v.expanded(c.File, "file", checkAbsPath)
		v.limits(c.Abs, c.Rel, c.Threshold)
		names := map[string]int{}
		for _, f := range c.Fields {
			v.literal(f.Path, "path", checkJSONPath)
			if line, dup := names[f.Path.Value]; dup {
				v.errs.add(f.Path.Pos, "path", "field %s is already compared on line %d", quote(f.Path.Value), line)
			}
			names[f.Path.Value] = f.Path.Pos.Line
			mode := f.Mode.Value
			if mode == "" {
				mode = c.Mode.Value
			}
			threshold := f.Threshold
			if threshold.Pos.IsZero() {
				threshold = c.Threshold
			}
			v.limits(f.Abs, f.Rel, f.Threshold)
			if mode == "similarity" && threshold.Pos.IsZero() {
				v.errs.add(f.Pos, "threshold", "a similarity comparison needs a threshold between 0 and 1 (here or on the compare)")
			}
		}
		if c.Mode.Value == "similarity" && c.Threshold.Pos.IsZero() && len(c.Fields) == 0 {
			v.errs.add(c.Pos, "threshold", "a similarity comparison needs a threshold between 0 and 1, e.g. threshold: 0.9")
		}
	}
	if b := t.Bench; b != nil {
		if kind != "run" {
			v.errs.add(b.Pos, "bench", "only a run test can be run as a benchmark")
		}
		if !b.Warmup.Pos.IsZero() && b.Warmup.Value < 0 {
			v.errs.add(b.Warmup.Pos, "warmup", "%d warm-up runs: must be 0 or more", b.Warmup.Value)
		}
		if !b.Repeat.Pos.IsZero() && (b.Repeat.Value < 1 || b.Repeat.Value > maxBenchRuns) {
			v.errs.add(b.Repeat.Pos, "repeat", "%d measured runs: must be 1 to %d", b.Repeat.Value, maxBenchRuns)
		}
		if len(b.Metrics) == 0 && !b.Pos.IsZero() {
			v.errs.add(b.Pos, "metrics", "a benchmark needs at least one metric")
		}
		names := map[string]int{}
		for _, m := range b.Metrics {
			if line, dup := names[m.Name.Value]; dup && !m.Name.Pos.IsZero() {
				v.errs.add(m.Name.Pos, "name", "metric %s is already defined on line %d", quote(m.Name.Value), line)
			}
			names[m.Name.Value] = m.Name.Pos.Line
			v.literal(m.Regex, "regex", v.checkRegexp)
			v.literal(m.JSON, "json", checkJSONPath)
			if !m.Wall.Pos.IsZero() && !m.Wall.Value {
				v.errs.add(m.Wall.Pos, "wall", "wall: false measures nothing; give regex or json instead")
			}
		}
	}
}

// maxBenchRuns bounds the measured runs of one benchmark: past it a typo
// (repeat: 1000) would hold a GPU host for hours.
const maxBenchRuns = 100

// limits checks a comparison's limits (its mode is an enum the decoder
// checks). Unset limits are zero, which every mode accepts but similarity,
// whose caller checks that one.
func (v *validator) limits(abs, rel, threshold Float) {
	for _, l := range []struct {
		f     Float
		field string
	}{{abs, "abs"}, {rel, "rel"}} {
		if !l.f.Pos.IsZero() && l.f.Value < 0 {
			v.errs.add(l.f.Pos, l.field, "tolerance %s is negative: it must be 0 or more", formatNumber(l.f.Value))
		}
	}
	if !threshold.Pos.IsZero() && (threshold.Value < 0 || threshold.Value > 1) {
		v.errs.add(threshold.Pos, "threshold", "similarity threshold %s must be between 0 and 1", formatNumber(threshold.Value))
	}
}

func checkJSONPath(s string) error {
	_, err := compare.ParsePath(s)
	return err
}

func formatNumber(f float64) string { return fmt.Sprintf("%g", f) }
