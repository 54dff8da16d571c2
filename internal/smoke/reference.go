package smoke

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/compare"
)

// Compare says what a test captures and how the capture is compared with
// the same test's capture on the reference platform.
type Compare struct {
	// File is the absolute path of a file the command writes; "" captures
	// its stdout.
	File string `json:"file,omitempty"`
	// Mode is exact (the default), numeric or similarity; see package
	// compare. Abs, Rel and Threshold are the mode's limits.
	Mode      string  `json:"mode,omitempty"`
	Abs       float64 `json:"abs,omitempty"`
	Rel       float64 `json:"rel,omitempty"`
	Threshold float64 `json:"threshold,omitempty"`
	// Fields read the capture as JSON and compare these values only, each
	// under its own rule (the compare's where it sets none).
	Fields []CompareField `json:"fields,omitempty"`
}

// CompareField is one JSON value a comparison looks at.
type CompareField struct {
	Path      string   `json:"path"`
	Mode      string   `json:"mode,omitempty"`
	Abs       *float64 `json:"abs,omitempty"`
	Rel       *float64 `json:"rel,omitempty"`
	Threshold *float64 `json:"threshold,omitempty"`
}

// Bench makes a command test a benchmark: the command runs Warmup times
// unmeasured, then Repeat times, and each metric is read from every
// measured run.
type Bench struct {
	Warmup  int      `json:"warmup"`
	Repeat  int      `json:"repeat"`
	Metrics []Metric `json:"metrics"`
}

// Bench defaults, for a recipe that leaves them out.
const (
	DefaultWarmup = 1
	DefaultRepeat = 5
)

// Metric is one figure a benchmark reports. Exactly one of Regex, JSON and
// Wall says where it comes from.
type Metric struct {
	Name string `json:"name"`
	Unit string `json:"unit,omitempty"`
	// Regex is matched against stdout; its first group (or the whole match
	// when it has none) is the number.
	Regex string `json:"regex,omitempty"`
	// JSON is a JSON path into stdout read as JSON (or into its last line
	// that is JSON).
	JSON string `json:"json,omitempty"`
	// Wall is the run's wall-clock time in seconds, as the runner measured
	// it around the command (docker exec included).
	Wall bool `json:"wall,omitempty"`
	// Better is "higher" (a throughput) or "lower" (a latency); reports use
	// it to say whether a ratio is a gain.
	Better string `json:"better,omitempty"`
}

// Reference is what a test produced on the reference platform, as the
// pipeline read it from the recorded file.
type Reference struct {
	// Output is the recorded capture of a compare test.
	Output    string
	HasOutput bool
	// Metrics are the recorded statistics of a bench test, by metric name.
	Metrics map[string]compare.Stats
	// Source says in one line where and how the reference was recorded,
	// for reports: image, device, date.
	Source string
}

// Against is what a compare or bench test is judged against. The pipeline
// attaches it before a run, since references live beside the recipe (or in
// a bundle), not in the test.
type Against struct {
	// Reference is nil when none was recorded.
	Reference *Reference
	// Missing is the message for a test without a reference: where it was
	// looked for and the command that records it.
	Missing string
	// Recording says the run records references: captures and samples are
	// kept, nothing is compared.
	Recording bool
}

// Comparison is the judgement of a compare test, for reports.
type Comparison struct {
	Mode    string
	OK      bool
	Summary string
	Fields  []compare.FieldOutcome
	// Reference is Reference.Source.
	Reference string
}

// BenchResult is what a bench test measured, beside the reference's.
type BenchResult struct {
	Warmup, Repeat int
	Metrics        []MetricResult
	// Reference is Reference.Source; "" when there is none.
	Reference string
}

// MetricResult is one metric over the measured runs.
type MetricResult struct {
	Name, Unit, Better string
	Samples            []float64
	Stats              compare.Stats
	// Reference is the reference's statistics; nil when none was recorded.
	Reference *compare.Stats
	// Ratio is this run's median over the reference's; nil without one.
	Ratio *float64
}

// WantsReference says whether a test is judged against a reference.
func WantsReference(t Test) bool { return t.Compare != nil || t.Bench != nil }

// Spec turns a test's compare block into the comparison package's form.
func (c *Compare) Spec() (compare.Spec, error) {
	mode, err := compare.ParseMode(c.Mode)
	if err != nil {
		return compare.Spec{}, err
	}
	s := compare.Spec{Rule: compare.Rule{Mode: mode, Abs: c.Abs, Rel: c.Rel, Threshold: c.Threshold}}
	for _, f := range c.Fields {
		p, err := compare.ParsePath(f.Path)
		if err != nil {
			return compare.Spec{}, err
		}
		r := s.Rule
		if f.Mode != "" {
			if r.Mode, err = compare.ParseMode(f.Mode); err != nil {
				return compare.Spec{}, err
			}
		}
		if f.Abs != nil {
			r.Abs = *f.Abs
		}
		if f.Rel != nil {
			r.Rel = *f.Rel
		}
		if f.Threshold != nil {
			r.Threshold = *f.Threshold
		}
		s.Fields = append(s.Fields, compare.Field{Path: p, Rule: r})
	}
	for _, r := range append([]compare.Rule{s.Rule}, rules(s.Fields)...) {
		if err := r.Check(); err != nil {
			return compare.Spec{}, err
		}
	}
	return s, nil
}

func rules(fields []compare.Field) []compare.Rule {
	out := make([]compare.Rule, len(fields))
	for i, f := range fields {
		out[i] = f.Rule
	}
	return out
}

// referenceExpectations say in words what a compare or bench test asks.
func referenceExpectations(t Test) []string {
	var out []string
	if c := t.Compare; c != nil {
		what := "stdout"
		if c.File != "" {
			what = c.File
		}
		if len(c.Fields) > 0 {
			paths := make([]string, len(c.Fields))
			for i, f := range c.Fields {
				paths[i] = f.Path
			}
			what += " fields " + strings.Join(paths, ", ")
		}
		out = append(out, what+" matches the reference ("+ruleText(c.Mode, c.Abs, c.Rel, c.Threshold)+")")
	}
	if b := t.Bench; b != nil {
		names := make([]string, len(b.Metrics))
		for i, m := range b.Metrics {
			names[i] = m.Name
		}
		out = append(out, fmt.Sprintf("every run exits as expected: %d warm-up, %d measured; metrics %s",
			b.Warmup, b.Repeat, strings.Join(names, ", ")))
	}
	return out
}

// ruleText is a comparison's mode and limits in words.
func ruleText(mode string, abs, rel, threshold float64) string {
	switch mode {
	case "numeric":
		return fmt.Sprintf("numeric, abs %s, rel %s", formatFloat(abs), formatFloat(rel))
	case "similarity":
		return fmt.Sprintf("similarity ≥ %s", formatFloat(threshold))
	}
	return "exact"
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
