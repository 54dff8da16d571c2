package smoke

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The CTRF report follows the Common Test Report Format (ctrf-io), spec
// version CTRFSpecVersion: the required fields, macabox's statuses mapped
// onto CTRF's five, and everything else under "extra" with one namespaced
// key (CTRFExtraKey), as the spec asks of producers. A test's comparison
// and benchmark are there in the JSON report's shape.
const (
	CTRFSpecVersion = "0.0.0"
	// CTRFExtraKey namespaces macabox's extensions.
	CTRFExtraKey = "ccf-ai-infra.macabox"
	// CTRFSchema names the shape of macabox's extra objects.
	CTRFSchema = "macabox.ctrf/v1"
)

type ctrfReport struct {
	ReportFormat string         `json:"reportFormat"`
	SpecVersion  string         `json:"specVersion"`
	RunID        string         `json:"runId,omitempty"`
	Timestamp    string         `json:"timestamp,omitempty"`
	GeneratedBy  string         `json:"generatedBy,omitempty"`
	Results      ctrfResults    `json:"results"`
	Extra        map[string]any `json:"extra,omitempty"`
}

type ctrfResults struct {
	Tool        ctrfTool        `json:"tool"`
	Summary     ctrfSummary     `json:"summary"`
	Tests       []ctrfTest      `json:"tests"`
	Environment ctrfEnvironment `json:"environment"`
}

type ctrfTool struct {
	Name string `json:"name"`
}

type ctrfSummary struct {
	Tests    int   `json:"tests"`
	Passed   int   `json:"passed"`
	Failed   int   `json:"failed"`
	Skipped  int   `json:"skipped"`
	Pending  int   `json:"pending"`
	Other    int   `json:"other"`
	Suites   int   `json:"suites"`
	Start    int64 `json:"start"`
	Stop     int64 `json:"stop"`
	Duration int64 `json:"duration"`
}

type ctrfTest struct {
	Name      string         `json:"name"`
	Status    string         `json:"status"`
	Duration  int64          `json:"duration"`
	Suite     []string       `json:"suite,omitempty"`
	Message   string         `json:"message,omitempty"`
	Trace     string         `json:"trace,omitempty"`
	RawStatus string         `json:"rawStatus"`
	Tags      []string       `json:"tags,omitempty"`
	Type      string         `json:"type,omitempty"`
	FilePath  string         `json:"filePath,omitempty"`
	Line      int            `json:"line,omitempty"`
	Stdout    []string       `json:"stdout,omitempty"`
	Stderr    []string       `json:"stderr,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
}

type ctrfEnvironment struct {
	ReportName      string         `json:"reportName"`
	AppName         string         `json:"appName"`
	OSPlatform      string         `json:"osPlatform,omitempty"`
	OSRelease       string         `json:"osRelease,omitempty"`
	TestEnvironment string         `json:"testEnvironment"`
	Extra           map[string]any `json:"extra,omitempty"`
}

// ctrfRun is the run-level extension: what was tested, where.
type ctrfRun struct {
	Schema      string            `json:"schema"`
	Target      string            `json:"target"`
	Image       string            `json:"image"`
	ImageID     string            `json:"imageId,omitempty"`
	RepoDigests []string          `json:"repoDigests,omitempty"`
	Simulated   bool              `json:"simulated,omitempty"`
	Platform    *Platform         `json:"platform,omitempty"`
	Host        map[string]string `json:"host,omitempty"`
	Device      jsonDevice        `json:"device"`
	OK          bool              `json:"ok"`
	Incomplete  string            `json:"incomplete,omitempty"`
	Summary     *jsonSummary      `json:"summary,omitempty"`
}

// ctrfTestExtra is a test's extension: its own kind of verdict and what it
// found against the reference.
type ctrfTestExtra struct {
	Origin     string          `json:"origin,omitempty"`
	Command    string          `json:"command,omitempty"`
	Expected   []string        `json:"expected,omitempty"`
	Problems   []string        `json:"problems,omitempty"`
	Comparison *jsonComparison `json:"comparison,omitempty"`
	Bench      *jsonBench      `json:"bench,omitempty"`
}

// ctrfStatus maps a status onto CTRF's: an error (a test that could not be
// judged) and an expected failure are neither a pass nor a failure, so they
// are "other", with rawStatus saying which.
func ctrfStatus(s Status) string {
	switch s {
	case StatusPassed, StatusFailed, StatusSkipped:
		return string(s)
	}
	return "other"
}

// WriteCTRF writes the report as CTRF JSON.
func WriteCTRF(w io.Writer, r *Report) error {
	s := r.Summary()
	start := r.Started.UnixMilli()
	sum := jsonSummary{Total: s.Total, Passed: s.Passed, Failed: s.Failed, Errors: s.Errors, Skipped: s.Skipped, XFailed: s.XFailed}
	run := ctrfRun{
		Schema: CTRFSchema, Target: r.Target, Image: r.Image, ImageID: r.ImageID, RepoDigests: r.RepoDigests, Host: r.Host,
		Simulated: r.Simulated, Device: jsonDevice{Available: r.Device.Available, Reason: r.Device.Reason, Required: r.Device.Required},
		OK: r.OK(), Incomplete: r.Incomplete, Summary: &sum,
	}
	if r.Platform != (Platform{}) {
		run.Platform = &r.Platform
	}
	doc := ctrfReport{
		ReportFormat: "CTRF", SpecVersion: CTRFSpecVersion, RunID: r.RunID,
		Timestamp: r.Started.UTC().Format(time.RFC3339), GeneratedBy: "macabox",
		Results: ctrfResults{
			Tool: ctrfTool{Name: "macabox"},
			Summary: ctrfSummary{
				Tests: s.Total, Passed: s.Passed, Failed: s.Failed, Skipped: s.Skipped, Other: s.Errors + s.XFailed,
				Suites: 1, Start: start, Stop: start + r.Duration.Milliseconds(), Duration: r.Duration.Milliseconds(),
			},
			Tests: make([]ctrfTest, 0, len(r.Results)),
			Environment: ctrfEnvironment{
				ReportName: "macabox smoke tests of " + r.Target, AppName: r.Target,
				OSPlatform: "linux", OSRelease: r.Platform.OS,
				TestEnvironment: deviceText(r.Device) + simulatedNote(r),
			},
		},
		Extra: map[string]any{CTRFExtraKey: run},
	}
	for _, res := range r.Results {
		doc.Results.Tests = append(doc.Results.Tests, ctrfTestOf(r.Target, res))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

func ctrfTestOf(target string, res Result) ctrfTest {
	t := ctrfTest{
		Name: res.Name, Status: ctrfStatus(res.Status), RawStatus: string(res.Status),
		Duration: res.Duration.Milliseconds(), Suite: []string{target}, Type: string(res.Kind),
		Stdout: lines(res.Stdout.Text), Stderr: lines(res.Stderr.Text),
	}
	if res.Recipe != "" {
		t.Suite = append(t.Suite, res.Recipe)
	}
	if res.Status != StatusPassed {
		t.Message = res.Message
		t.Trace = res.Explain()
	}
	if file, line, ok := strings.Cut(res.Origin, ":"); ok {
		t.FilePath = file
		t.Line, _ = strconv.Atoi(line)
	}
	if res.Comparison != nil {
		t.Tags = append(t.Tags, "compare")
	}
	if res.Bench != nil {
		t.Tags = append(t.Tags, "bench")
	}
	t.Extra = map[string]any{CTRFExtraKey: ctrfTestExtra{
		Origin: res.Origin, Command: res.Command, Expected: res.Expected, Problems: res.Problems,
		Comparison: jsonComparisonOf(res.Comparison), Bench: jsonBenchOf(res.Bench),
	}}
	return t
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// CTRFResults is what macabox reads back from a CTRF report it wrote: what
// was tested and each test's outcome, for a bundle's evidence and for a
// reproduction to show beside its own.
type CTRFResults struct {
	Target      string     `json:"target"`
	Image       string     `json:"image"`
	ImageID     string     `json:"imageId"`
	RepoDigests []string   `json:"repoDigests,omitempty"`
	Platform    Platform   `json:"platform"`
	OK          bool       `json:"ok"`
	Started     time.Time  `json:"started"`
	Tests       []CTRFTest `json:"tests"`
}

// CTRFTest is one test of a CTRF report.
type CTRFTest struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message,omitempty"`
	// Comparison is a compare test's summary.
	Comparison string `json:"comparison,omitempty"`
	// Metrics are a bench test's figures.
	Metrics []CTRFMetric `json:"metrics,omitempty"`
}

// CTRFMetric is one benchmark metric of a CTRF report.
type CTRFMetric struct {
	Name            string   `json:"name"`
	Unit            string   `json:"unit,omitempty"`
	Median          float64  `json:"median"`
	P95             float64  `json:"p95"`
	ReferenceMedian *float64 `json:"referenceMedian,omitempty"`
	Ratio           *float64 `json:"ratio,omitempty"`
}

// ReadCTRF reads a CTRF report written by WriteCTRF. A report of another
// tool, or without macabox's extension, is refused: only macabox's says
// which image was tested.
func ReadCTRF(data []byte) (*CTRFResults, error) {
	var doc struct {
		ReportFormat string `json:"reportFormat"`
		Timestamp    string `json:"timestamp"`
		Results      struct {
			Tests []struct {
				Name      string                     `json:"name"`
				RawStatus string                     `json:"rawStatus"`
				Message   string                     `json:"message"`
				Extra     map[string]json.RawMessage `json:"extra"`
			} `json:"tests"`
		} `json:"results"`
		Extra map[string]json.RawMessage `json:"extra"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a CTRF report: %w", err)
	}
	if doc.ReportFormat != "CTRF" {
		return nil, fmt.Errorf("not a CTRF report (reportFormat %q)", doc.ReportFormat)
	}
	var run ctrfRun
	if raw, ok := doc.Extra[CTRFExtraKey]; !ok || json.Unmarshal(raw, &run) != nil || run.Schema != CTRFSchema {
		return nil, fmt.Errorf("a CTRF report without macabox's %q extension (schema %s): write it with macabox test --report ctrf=FILE", CTRFExtraKey, CTRFSchema)
	}
	out := &CTRFResults{Target: run.Target, Image: run.Image, ImageID: run.ImageID, RepoDigests: run.RepoDigests, OK: run.OK}
	if run.Platform != nil {
		out.Platform = *run.Platform
	}
	out.Started, _ = time.Parse(time.RFC3339, doc.Timestamp)
	for _, t := range doc.Results.Tests {
		ct := CTRFTest{Name: t.Name, Status: Status(t.RawStatus), Message: t.Message}
		var x ctrfTestExtra
		if raw, ok := t.Extra[CTRFExtraKey]; ok && json.Unmarshal(raw, &x) == nil {
			if x.Comparison != nil {
				ct.Comparison = x.Comparison.Summary
			}
			if x.Bench != nil {
				for _, m := range x.Bench.Metrics {
					cm := CTRFMetric{Name: m.Name, Unit: m.Unit, Median: m.Stats.Median, P95: m.Stats.P95, Ratio: m.Ratio}
					if m.Reference != nil {
						cm.ReferenceMedian = &m.Reference.Median
					}
					ct.Metrics = append(ct.Metrics, cm)
				}
			}
		}
		out.Tests = append(out.Tests, ct)
	}
	return out, nil
}
