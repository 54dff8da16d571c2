package smoke

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ccf-ai-infra/macabox/internal/compare"
)

func float(f float64) *float64 { return &f }

// referenceReport has a comparison that holds, one that does not, and a
// benchmark with two metrics against a reference and one without.
func referenceReport() *Report {
	r := &Report{
		Target: "demo", Image: "macabox/demo:sim", ImageID: "sha256:" + strings.Repeat("ab", 32), Simulated: true,
		RunID: "r0123456789ab", Device: DeviceStatus{Reason: "no MACA device under /dev"},
		Platform: Platform{Arch: "x86_64", CPU: "Example CPU", OS: "Debian GNU/Linux 12 (bookworm)"},
		Started:  time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), Duration: 5 * time.Second,
	}
	sim := 0.972
	r.Results = []Result{
		{
			Name: "same answer", Kind: KindCommand, Origin: "recipes/demo/demo.yaml:30", Recipe: "demo", Status: StatusPassed,
			Duration: time.Second, Command: "python3 answer.py", Expected: []string{"exit code 0", "stdout matches the reference (similarity ≥ 0.9)"},
			Comparison: &Comparison{Mode: "similarity", OK: true, Summary: "similarity 0.972 ≥ threshold 0.900", Reference: "macabox.test/debian:bookworm (sha256:d77e…) on x86_64, device none, recorded 2026-03-01",
				Fields: []compare.FieldOutcome{{Mode: compare.Similarity, OK: true, Reference: "Paris is the capital of France.", Got: "Paris is the capital of France", Detail: "similarity 0.972 ≥ threshold 0.900", Similarity: &sim}}},
		},
		{
			Name: "same loss", Kind: KindCommand, Origin: "recipes/demo/demo.yaml:36", Recipe: "demo", Status: StatusFailed,
			Message: "differs from the reference: field $.loss: reference 0.1234, got 0.1300: |Δ| 0.0066 > allowed 0.001", Duration: time.Second,
			Command: "python3 train.py", Expected: []string{"exit code 0", "stdout fields $.loss, $.steps matches the reference (numeric, abs 0.001, rel 0)"},
			Problems: []string{"differs from the reference: field $.loss: reference 0.1234, got 0.1300: |Δ| 0.0066 > allowed 0.001"},
			Comparison: &Comparison{Mode: "numeric", Summary: "field $.loss: reference 0.1234, got 0.1300: |Δ| 0.0066 > allowed 0.001", Reference: "cuda",
				Fields: []compare.FieldOutcome{
					{Path: "$.loss", Mode: compare.Numeric, Reference: "0.1234", Got: "0.1300", Detail: "|Δ| 0.0066 > allowed 0.001"},
					{Path: "$.steps", Mode: compare.Numeric, OK: true, Reference: "10", Got: "10", Detail: "|Δ| 0 ≤ 0.001"},
				}},
		},
		{
			Name: "throughput", Kind: KindCommand, Origin: "recipes/demo/demo.yaml:44", Recipe: "demo", Status: StatusPassed,
			Duration: 3 * time.Second, Command: "python3 bench.py",
			Bench: &BenchResult{Warmup: 1, Repeat: 3, Reference: "cuda", Metrics: []MetricResult{
				{Name: "tokens/s", Unit: "tok/s", Better: "higher", Samples: []float64{1000, 1100, 1200},
					Stats:     compare.Summarize([]float64{1000, 1100, 1200}),
					Reference: &compare.Stats{N: 3, Median: 2200, P95: 2300, Min: 2100, Max: 2300, Spread: 0.09}, Ratio: float(0.5)},
				{Name: "latency", Unit: "ms", Better: "lower", Samples: []float64{10, 11, 12},
					Stats:     compare.Summarize([]float64{10, 11, 12}),
					Reference: &compare.Stats{N: 3, Median: 5.5, P95: 6, Min: 5, Max: 6, Spread: 0.18}, Ratio: float(2)},
				{Name: "first token <ms>", Unit: "ms", Samples: []float64{3}, Stats: compare.Summarize([]float64{3})},
			}},
		},
	}
	return r
}

func TestReferenceReportsGolden(t *testing.T) {
	r := referenceReport()
	for _, f := range []struct {
		ext   string
		write func(io.Writer, *Report) error
	}{
		{"txt", func(w io.Writer, r *Report) error { return WriteText(w, r, false) }},
		{"json", WriteJSON},
		{"md", func(w io.Writer, r *Report) error { return writeMarkdown(w, r, "report.bench.svg") }},
		{"ctrf.json", WriteCTRF},
		{"svg", WriteBenchChart},
	} {
		t.Run(f.ext, func(t *testing.T) {
			var b bytes.Buffer
			if err := f.write(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, "report-reference."+f.ext, b.Bytes())
		})
	}
}

// TestBenchReportShowsBothSides: the Markdown report of a benchmark shows
// median and p95 of both sides and their ratio, and links the chart.
func TestBenchReportShowsBothSides(t *testing.T) {
	var b bytes.Buffer
	if err := writeMarkdown(&b, referenceReport(), "report.bench.svg"); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"| Test | Metric | Median | p95 | Spread | Reference median | Reference p95 | Ratio |",
		"| throughput | tokens/s | 1100 tok/s | 1200 tok/s | 18.2% | 2200 tok/s | 2300 tok/s | 0.50× (worse) |",
		"| throughput | latency | 11 ms | 12 ms | 18.2% | 5.5 ms | 6 ms | 2.00× (worse) |",
		"| same loss | `$.loss` | numeric | 0.1234 | 0.1300 | \\|Δ\\| 0.0066 &gt; allowed 0.001 | ❌ |",
		"| same answer | output | similarity | Paris is the capital of France. | Paris is the capital of France | similarity 0.972 ≥ threshold 0.900 | ✅ |",
		"![Benchmarks: this run beside the reference](report.bench.svg)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown report lacks\n%s\nin\n%s", want, md)
		}
	}
}

// TestBenchChart: the chart is well-formed XML with one bar per metric and
// side (a metric without a reference has only its own).
func TestBenchChart(t *testing.T) {
	var b bytes.Buffer
	if err := WriteBenchChart(&b, referenceReport()); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	bars := map[string]int{}
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = se.Name.Space + " " + se.Name.Local
		}
		for _, a := range se.Attr {
			if se.Name.Local == "rect" && a.Name.Local == "class" && strings.HasPrefix(a.Value, "bar ") {
				bars[strings.TrimPrefix(a.Value, "bar ")]++
			}
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("root element %q", root)
	}
	if bars["run"] != 3 || bars["reference"] != 2 || len(bars) != 2 {
		t.Errorf("bars: %v, want 3 of this run (one per metric) and 2 of the reference (the metrics it has)", bars)
	}
	if err := WriteBenchChart(io.Discard, sampleReport()); err == nil {
		t.Error("a chart of a report without benchmarks")
	}
}

// TestCTRFValidates checks the CTRF report against the ctrf-io JSON Schema
// (testdata/ctrf, source named there), with formats asserted, for reports
// of every status and of comparisons and benchmarks.
func TestCTRFValidates(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "ctrf", "ctrf.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("ctrf.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("ctrf.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*Report{"mixed": sampleReport(), "passed": allPassedReport(), "reference": referenceReport()} {
		var b bytes.Buffer
		if err := WriteCTRF(&b, r); err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: the CTRF report does not validate: %v", name, err)
		}
	}
	// The schema is not a formality: a report with a status CTRF does not
	// know fails it.
	var b bytes.Buffer
	_ = WriteCTRF(&b, sampleReport())
	bad := strings.Replace(b.String(), `"status": "skipped"`, `"status": "xfail"`, 1)
	inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if schema.Validate(inst) == nil {
		t.Error("the schema accepted a status CTRF does not have")
	}
}

// TestCTRFStatusesAndReadBack: statuses map onto CTRF's five with the raw
// one kept, and macabox reads back what it needs from its own report.
func TestCTRFStatusesAndReadBack(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCTRF(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Results struct {
			Summary struct{ Tests, Passed, Failed, Skipped, Other int }
			Tests   []struct{ Name, Status, RawStatus string }
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if s := doc.Results.Summary; s.Tests != 5 || s.Passed != 1 || s.Failed != 2 || s.Skipped != 1 || s.Other != 1 {
		t.Errorf("summary %+v", s)
	}
	for _, tc := range doc.Results.Tests {
		if tc.Name == "MACA_PATH" && (tc.Status != "other" || tc.RawStatus != "error") {
			t.Errorf("an error is %s/%s, want other/error", tc.Status, tc.RawStatus)
		}
	}

	b.Reset()
	if err := WriteCTRF(&b, referenceReport()); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCTRF(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.Target != "demo" || got.ImageID != referenceReport().ImageID || len(got.Tests) != 3 ||
		got.Tests[2].Metrics[0].Median != 1100 || *got.Tests[2].Metrics[0].ReferenceMedian != 2200 || !strings.HasPrefix(got.Tests[1].Comparison, "field $.loss") {
		t.Errorf("read back %+v", got)
	}
	if _, err := ReadCTRF([]byte(`{"reportFormat": "CTRF", "results": {}}`)); err == nil {
		t.Error("a CTRF report of another tool was read as macabox's")
	}
}
