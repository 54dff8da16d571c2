package smoke

import "github.com/ccf-ai-infra/macabox/internal/compare"

// The JSON form of comparisons and benchmarks (see WriteJSON); the CTRF
// report carries the same objects under its extra.

type jsonComparison struct {
	Mode      string      `json:"mode"`
	OK        bool        `json:"ok"`
	Summary   string      `json:"summary"`
	Reference string      `json:"reference,omitempty"`
	Fields    []jsonField `json:"fields"`
}

type jsonField struct {
	Path       string   `json:"path,omitempty"`
	Mode       string   `json:"mode"`
	OK         bool     `json:"ok"`
	Reference  string   `json:"reference"`
	Got        string   `json:"got"`
	Detail     string   `json:"detail"`
	Similarity *float64 `json:"similarity,omitempty"`
}

type jsonBench struct {
	Warmup    int          `json:"warmup"`
	Repeat    int          `json:"repeat"`
	Reference string       `json:"reference,omitempty"`
	Metrics   []jsonMetric `json:"metrics"`
}

type jsonMetric struct {
	Name      string         `json:"name"`
	Unit      string         `json:"unit,omitempty"`
	Better    string         `json:"better,omitempty"`
	Samples   []float64      `json:"samples"`
	Stats     compare.Stats  `json:"stats"`
	Reference *compare.Stats `json:"reference,omitempty"`
	Ratio     *float64       `json:"ratio,omitempty"`
}

func jsonComparisonOf(c *Comparison) *jsonComparison {
	if c == nil {
		return nil
	}
	out := &jsonComparison{Mode: c.Mode, OK: c.OK, Summary: c.Summary, Reference: c.Reference, Fields: []jsonField{}}
	for _, f := range c.Fields {
		out.Fields = append(out.Fields, jsonField{
			Path: f.Path, Mode: string(f.Mode), OK: f.OK, Reference: f.Reference, Got: f.Got, Detail: f.Detail, Similarity: f.Similarity,
		})
	}
	return out
}

func jsonBenchOf(b *BenchResult) *jsonBench {
	if b == nil {
		return nil
	}
	out := &jsonBench{Warmup: b.Warmup, Repeat: b.Repeat, Reference: b.Reference, Metrics: []jsonMetric{}}
	for _, m := range b.Metrics {
		out.Metrics = append(out.Metrics, jsonMetric{
			Name: m.Name, Unit: m.Unit, Better: m.Better, Samples: m.Samples, Stats: m.Stats, Reference: m.Reference, Ratio: m.Ratio,
		})
	}
	return out
}
