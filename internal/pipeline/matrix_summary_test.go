package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

func TestTestsOf(t *testing.T) {
	report := func(incomplete string, statuses ...smoke.Status) *smoke.Report {
		r := &smoke.Report{Incomplete: incomplete}
		for i, s := range statuses {
			r.Results = append(r.Results, smoke.Result{Name: fmt.Sprint("t", i), Origin: "a.yaml:1", Status: s, Message: "why"})
		}
		return r
	}
	failed := &testsFailed{failed: 1, total: 3}
	for _, c := range []struct {
		name                   string
		rep                    *smoke.Report
		err                    error
		status, msg            string
		passed, failed, xfails int
	}{
		{"all passed", report("", smoke.StatusPassed, smoke.StatusSkipped, smoke.StatusXFail), nil, TestsPassed, "", 1, 0, 1},
		{"one failed, one error", report("", smoke.StatusPassed, smoke.StatusFailed, smoke.StatusError), failed, TestsFailed, "smoke tests failed", 1, 2, 0},
		{"interrupted", report("the container died", smoke.StatusPassed), nil, TestsFailed, "not every test ran: the container died", 1, 0, 0},
		{"no run", nil, cannot("image not found"), TestsError, "image not found", 0, 0, 0},
		// A run that started and could not finish counts as not run,
		// whatever the tests before said.
		{"cut short", report("", smoke.StatusPassed), cannot("container did not start"), TestsError, "did not start", 1, 0, 0},
	} {
		got := testsOf(c.rep, "img", c.err, time.Second)
		if got.Status != c.status || !strings.Contains(got.Error, c.msg) || (c.msg == "") != (got.Error == "") ||
			got.Passed != c.passed || got.Failed != c.failed || got.XFailed != c.xfails || len(got.Failures) != c.failed {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
}

// hostileSummary is a run over values and errors that Markdown and HTML
// would read as markup.
func hostileSummary() *MatrixSummary {
	values := func(v string) []recipe.AxisValue {
		return []recipe.AxisValue{{Axis: "base", Value: "maca-3.0"}, {Axis: "V", Value: v}}
	}
	s := &MatrixSummary{Schema: MatrixSchema, Matrix: "m", Verb: "build", Axes: []string{"base", "V|W"}, Cells: []CellSummary{
		{Name: "m-maca-3.0-a", Values: values("a|b`c"),
			Build: &CellBuild{Status: BuildBuilt, ManifestDigest: "sha256:aa", CachedSteps: []string{}},
			Tests: &CellTests{Status: TestsPassed, Total: 2, Passed: 1, Skipped: 1}},
		{Name: "m-maca-3.0-b", Values: values("<b>"),
			Build: &CellBuild{Status: BuildFailed, Error: "step failed:\n```\n<script>x</script>"},
			Tests: &CellTests{Status: TestsNotRun}},
		{Name: "m-maca-3.0-c", Values: values("c"),
			Build: &CellBuild{Status: BuildBuilt, ManifestDigest: "sha256:cc", CachedSteps: []string{}},
			Tests: &CellTests{Status: TestsFailed, Total: 1, Failed: 1, Failures: []TestFailure{{Name: "<t>", Origin: "x.yaml:3", Message: "| no"}}}},
	}}
	s.finish()
	return s
}

func TestMatrixSummaryMarkdown(t *testing.T) {
	s := hostileSummary()
	if s.OK || !s.Cells[0].OK || s.Cells[1].OK || s.Cells[2].OK || s.failed() != 2 {
		t.Fatalf("verdicts: ok %v, cells %v %v %v", s.OK, s.Cells[0].OK, s.Cells[1].OK, s.Cells[2].OK)
	}
	var b strings.Builder
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"### ❌ macabox build of matrix m: 1 of 3 cells passed\n",
		"| m-maca-3.0-a | `maca-3.0` | `` a\\|b`c `` | ✅ built | `sha256:aa` | 1 | 0 | 1 | 0 | ✅ passed |\n",
		"| m-maca-3.0-b | `maca-3.0` | `<b>` | ❌ failed | — | — | — | — | — | ❌ failed |\n",
		"<summary>❌ m-maca-3.0-b: build failed</summary>",
		"<summary>❌ m-maca-3.0-c: 1 of 1 tests failed</summary>",
		"```text\n<t> (x.yaml:3): | no\n```\n",
		// An error that holds a fence gets a longer one.
		"````text\nstep failed:\n```\n<script>x</script>\n````\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	// Every row of the table has as many cells as its head: no value or
	// name adds a column.
	var rows []string
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| ") {
			rows = append(rows, line)
		}
	}
	if len(rows) != 5 {
		t.Fatalf("%d table rows, want a head, its alignment and 3 cells:\n%s", len(rows), md)
	}
	for _, r := range rows {
		if n := strings.Count(strings.ReplaceAll(r, `\|`, ""), "|"); n != 11 {
			t.Errorf("row with %d separators, want 11: %s", n, r)
		}
	}
	if strings.Count(md, "<details>") != 2 {
		t.Errorf("not one folded problem per failed cell:\n%s", md)
	}
}

// A run that built nothing (test) has no build columns, and one that
// tested nothing (build, export) no test columns.
func TestMatrixSummaryColumns(t *testing.T) {
	for _, c := range []struct {
		verb, head string
		strip      func(*CellSummary)
	}{
		{"test", "| Cell | base | V\\|W | Passed | Failed | Skipped | XFail | Result |\n", func(c *CellSummary) { c.Build = nil }},
		{"export", "| Cell | base | V\\|W | Build | Digest | Result |\n", func(c *CellSummary) { c.Tests = nil }},
	} {
		s := hostileSummary()
		s.Verb = c.verb
		for i := range s.Cells {
			c.strip(&s.Cells[i])
		}
		var b strings.Builder
		if err := s.WriteMarkdown(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.head) {
			t.Errorf("%s: the table's head is not %q:\n%s", c.verb, c.head, b.String())
		}
	}
}

func TestMatrixSummaryJSON(t *testing.T) {
	var b strings.Builder
	if err := hostileSummary().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Schema, Matrix, Verb string
		Axes                 []string
		OK                   *bool
		Cells                []map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if got.Schema != MatrixSchema || got.Matrix != "m" || got.OK == nil || *got.OK || len(got.Cells) != 3 {
		t.Fatalf("head: %+v", got)
	}
	for _, key := range []string{"name", "values", "build", "tests", "ok"} {
		if got.Cells[0][key] == nil {
			t.Errorf("a cell lacks %q: %s", key, b.String())
		}
	}
	if !strings.Contains(b.String(), `"cachedSteps": []`) || !strings.Contains(b.String(), `\n<script>x</script>"`) {
		t.Errorf("JSON:\n%s", b.String())
	}
}

func TestCellFile(t *testing.T) {
	for in, want := range map[string]string{
		"out/junit.xml":         "out/junit.m-a.xml",
		"out/results.ctrf.json": "out/results.ctrf.m-a.json",
		"report":                "report.m-a",
		"-":                     "-",
		"":                      "",
	} {
		if got := cellFile(in, "m-a"); got != want {
			t.Errorf("cellFile(%q) = %q, want %q", in, got, want)
		}
	}
	specs := cellReports([]smoke.ReportSpec{{Format: smoke.FormatJUnit, Path: "j.xml"}, {Format: smoke.FormatText, Path: "-"}}, "m-a")
	if specs[0].Path != "j.m-a.xml" || specs[1].Path != "-" || specs[0].Format != smoke.FormatJUnit {
		t.Errorf("cellReports: %+v", specs)
	}
	if !errors.Is(&cellsFailed{1, 2}, ErrCellsFailed) {
		t.Error("cellsFailed is not ErrCellsFailed")
	}
}
