package pipeline

import (
	"errors"
	"strings"
	"time"

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
	case err != nil && (rep == nil || errors.Is(err, ErrCannot)):
		// The run could not be made, or not to its end (a missing image,
		// a container that did not start): no count says how the cell is.
		t.Status, t.Error = TestsError, err.Error()
	case err != nil || !rep.OK():
		t.Status = TestsFailed
		if err != nil {
			t.Error = err.Error()
		}
		if rep.Incomplete != "" {
			t.Error = strings.TrimPrefix(t.Error+"; not every test ran: "+rep.Incomplete, "; ")
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
