package pipeline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// MatrixSchema names the form of a matrix summary's JSON; it changes when
// a field changes meaning.
const MatrixSchema = "macabox.matrix/v1"

// MatrixSummary is one row per cell of a matrix run: what was built, with
// which digest, and how its tests went. It is written as Markdown (for a
// pull request or CI page) and as JSON (for tools).
type MatrixSummary struct {
	Schema string `json:"schema"`
	Matrix string `json:"matrix"`
	// Verb is build, test or export.
	Verb string `json:"verb"`
	// Axes are base and the matrix's axes, in order: the columns of the
	// cells' values.
	Axes []string `json:"axes"`
	// OK says every cell passed: built, and its tests (if run) passed.
	OK    bool          `json:"ok"`
	Cells []CellSummary `json:"cells"`
}

// CellSummary is one cell's row.
type CellSummary struct {
	Name   string             `json:"name"`
	Values []recipe.AxisValue `json:"values"`
	// Build is nil when the run built nothing (test).
	Build *CellBuild `json:"build,omitempty"`
	// Tests is nil when the run tested nothing (build without --test,
	// export).
	Tests *CellTests `json:"tests,omitempty"`
	// Bundle is the bundle an export wrote.
	Bundle string `json:"bundle,omitempty"`
	OK     bool   `json:"ok"`
}

// Cell build statuses.
const (
	BuildBuilt      = "built"
	BuildFailed     = "failed"
	BuildPushFailed = "push failed"
)

// CellBuild is how a cell's build went.
type CellBuild struct {
	Status string `json:"status"`
	// Error is why the cell could not be planned or built.
	Error          string   `json:"error,omitempty"`
	ManifestDigest string   `json:"manifestDigest,omitempty"`
	Tags           []string `json:"tags,omitempty"`
	// Steps counts the build's steps and CachedSteps names those BuildKit
	// took from its cache: where cells share a base, every cell after the
	// first finds the base's steps there.
	Steps       int      `json:"steps"`
	CachedSteps []string `json:"cachedSteps"`
	Seconds     float64  `json:"seconds"`
	// Pushed says the tested image went to the registries of its tags.
	Pushed bool `json:"pushed,omitempty"`
}

// Cell test statuses.
const (
	TestsPassed = "passed"
	TestsFailed = "failed"
	// TestsError is a run that could not be made (the image is missing,
	// the container did not start); TestsNotRun a cell never built.
	TestsError  = "error"
	TestsNotRun = "not run"
)

// CellTests is how a cell's smoke tests went.
type CellTests struct {
	Status string `json:"status"`
	// Error is why the tests could not run, or did not all pass.
	Error  string `json:"error,omitempty"`
	Image  string `json:"image,omitempty"`
	Total  int    `json:"total"`
	Passed int    `json:"passed"`
	// Failed counts failures and tests that could not be judged (errors).
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	XFailed int `json:"xfailed"`
	// Failures are the tests that failed, and why.
	Failures []TestFailure `json:"failures,omitempty"`
	Seconds  float64       `json:"seconds"`
}

// TestFailure is one failed test of a cell: the cell's smoke reports say
// all there is to know about it.
type TestFailure struct {
	Name    string `json:"name"`
	Origin  string `json:"origin,omitempty"`
	Message string `json:"message,omitempty"`
}

// testsOf summarizes a smoke report; err is what running the tests
// returned.
func testsOf(rep *smoke.Report, image string, err error, d time.Duration) *CellTests {
	t := &CellTests{Status: TestsPassed, Image: image, Seconds: d.Seconds()}
	if rep != nil {
		s := rep.Summary()
		t.Total, t.Passed, t.Failed, t.Skipped, t.XFailed = s.Total, s.Passed, s.Failed+s.Errors, s.Skipped, s.XFailed
		for _, r := range rep.Results {
			if r.Status == smoke.StatusFailed || r.Status == smoke.StatusError {
				t.Failures = append(t.Failures, TestFailure{Name: r.Name, Origin: r.Origin, Message: r.Message})
			}
		}
	}
	switch {
	case rep == nil && err != nil:
		t.Status, t.Error = TestsError, err.Error()
	case err != nil || !rep.OK():
		t.Status = TestsFailed
		if err != nil {
			t.Error = err.Error()
		}
	}
	return t
}

// finish sets each cell's verdict and the whole run's.
func (s *MatrixSummary) finish() {
	s.OK = true
	for i := range s.Cells {
		c := &s.Cells[i]
		c.OK = (c.Build == nil || c.Build.Status == BuildBuilt) &&
			(c.Tests == nil || c.Tests.Status == TestsPassed)
		s.OK = s.OK && c.OK
	}
}

// failed counts the cells that did not pass.
func (s *MatrixSummary) failed() int {
	n := 0
	for _, c := range s.Cells {
		if !c.OK {
			n++
		}
	}
	return n
}

// ParseSummaryFlag reads --summary FORMAT=FILE: md (or markdown) or json,
// to a file or "-" for stdout.
func ParseSummaryFlag(s string) (smoke.ReportSpec, error) {
	f, path, err := smoke.ParseReportFlag(s)
	if err == nil && f != smoke.FormatMarkdown && f != smoke.FormatJSON {
		err = fmt.Errorf("summary %q: the summary is md or json", s)
	}
	return smoke.ReportSpec{Format: f, Path: path}, err
}

// writeSummary shows the Markdown table to people (errw), at the end of
// the run's log, and writes the summary where the specs ask.
func writeSummary(s *MatrixSummary, specs []smoke.ReportSpec, out, errw io.Writer) error {
	fmt.Fprintln(errw)
	if err := s.WriteMarkdown(errw); err != nil {
		return err
	}
	files := make([]smoke.ReportFile, len(specs))
	for i, spec := range specs {
		render := s.WriteMarkdown
		if spec.Format == smoke.FormatJSON {
			render = s.WriteJSON
		}
		files[i] = smoke.ReportFile{Format: spec.Format, Path: spec.Path, Render: render}
	}
	if err := smoke.WriteReportFiles(files, out); err != nil {
		return cannot("writing the matrix summary: %w", err)
	}
	return nil
}

// WriteJSON writes the summary as indented JSON.
func (s *MatrixSummary) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := w.Write(escape.JSON(b.Bytes()))
	return err
}

// WriteMarkdown writes the summary as GitHub-flavoured Markdown: a heading
// with the verdict, one table row per cell (its values, build, digest and
// test counts), then what went wrong in each cell that did not pass.
func (s *MatrixSummary) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	icon := "✅"
	if !s.OK {
		icon = "❌"
	}
	fmt.Fprintf(bw, "### %s macabox %s of matrix %s: %d of %d cells passed\n\n",
		icon, escape.Markdown(s.Verb), escape.Markdown(s.Matrix), len(s.Cells)-s.failed(), len(s.Cells))
	s.writeTable(bw)
	for _, c := range s.Cells {
		if !c.OK {
			writeCellProblem(bw, c)
		}
	}
	return bw.Flush()
}

// writeTable writes one row per cell. A run that built nothing (test) or
// tested nothing (build without --test, export) leaves those columns out.
func (s *MatrixSummary) writeTable(bw *bufio.Writer) {
	built, tested := false, false
	for _, c := range s.Cells {
		built, tested = built || c.Build != nil, tested || c.Tests != nil
	}
	head, align := []string{"Cell"}, " --- |"
	for _, a := range s.Axes {
		head, align = append(head, escape.Markdown(a)), align+" --- |"
	}
	if built {
		head, align = append(head, "Build", "Digest"), align+" --- | --- |"
	}
	if tested {
		head, align = append(head, "Passed", "Failed", "Skipped", "XFail"), align+strings.Repeat(" ---: |", 4)
	}
	fmt.Fprintf(bw, "| %s | Result |\n|%s --- |\n", strings.Join(head, " | "), align)
	for _, c := range s.Cells {
		row := []string{escape.Markdown(c.Name)}
		for _, v := range c.Values {
			row = append(row, escape.MarkdownCode(v.Value))
		}
		if built {
			row = append(row, buildColumns(c.Build)...)
		}
		if tested {
			row = append(row, testColumns(c.Tests)...)
		}
		result := "✅ passed"
		if !c.OK {
			result = "❌ failed"
		}
		fmt.Fprintf(bw, "| %s |\n", strings.Join(append(row, result), " | "))
	}
}

func buildColumns(b *CellBuild) []string {
	switch {
	case b == nil:
		return []string{"—", "—"}
	case b.Status != BuildBuilt:
		return []string{"❌ " + b.Status, "—"}
	}
	digest := escape.MarkdownCode(b.ManifestDigest)
	if digest == "" {
		digest = "—"
	}
	return []string{"✅ " + b.Status, digest}
}

func testColumns(t *CellTests) []string {
	if t == nil || t.Status == TestsError || t.Status == TestsNotRun {
		return []string{"—", "—", "—", "—"}
	}
	return []string{fmt.Sprint(t.Passed), fmt.Sprint(t.Failed), fmt.Sprint(t.Skipped), fmt.Sprint(t.XFailed)}
}

// writeCellProblem says, folded, why a cell did not pass.
func writeCellProblem(w *bufio.Writer, c CellSummary) {
	var what, detail string
	switch {
	case c.Build != nil && c.Build.Status != BuildBuilt:
		what, detail = "build failed", c.Build.Error
	case c.Tests != nil && len(c.Tests.Failures) > 0:
		what = fmt.Sprintf("%d of %d tests failed", len(c.Tests.Failures), c.Tests.Total)
		var lines []string
		for _, f := range c.Tests.Failures {
			lines = append(lines, fmt.Sprintf("%s (%s): %s", f.Name, f.Origin, f.Message))
		}
		detail = strings.Join(lines, "\n")
	case c.Tests != nil:
		what, detail = "tests did not run", c.Tests.Error
	}
	fmt.Fprintf(w, "\n<details>\n<summary>❌ %s: %s</summary>\n\n%s\n\n</details>\n",
		escape.HTML(c.Name), escape.HTML(what), escape.MarkdownBlock(detail))
}
