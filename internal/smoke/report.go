package smoke

import (
	"strings"
	"time"
)

// Status is the outcome of one test.
type Status string

const (
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
	// StatusError means the test could not be judged: its expectation is broken
	// or Docker failed under it. JUnit reports it as an error, not a failure.
	StatusError Status = "error"
	// StatusXFail is a test marked as expected to fail (xfail) that did: a
	// known gap, reported as such and never as a pass, that does not fail
	// the run.
	StatusXFail Status = "xfail"
)

// Report is the outcome of one target's smoke tests. Every rendering (text,
// JSON, JUnit, Markdown) is a pure function of it.
type Report struct {
	Target string
	Image  string
	// ImageID is the ID (config digest) of the image the container ran;
	// RepoDigests the registry digests it is known by. Reference records
	// and bench results name the image by them.
	ImageID     string
	RepoDigests []string
	// Platform is what the container saw of its host (CPU, GPU, driver).
	Platform Platform
	// Host are the host's facts as doctor finds them (Docker, driver,
	// MACA, limits), by name; set for runs that compare or measure, whose
	// results are worth only beside them.
	Host map[string]string
	// Simulated says the image's MACA is a stand-in, not MetaX software.
	Simulated bool
	RunID     string
	// Container names the container left running with Options.Keep.
	Container string
	Device    DeviceStatus
	Started   time.Time
	Duration  time.Duration
	Results   []Result
	// Incomplete says why not every test ran (e.g. the run was interrupted);
	// empty when all ran.
	Incomplete string
}

// DeviceStatus is what the run knew about MACA devices.
type DeviceStatus struct {
	Available bool
	// Reason explains why no device was available.
	Reason   string
	Required bool
}

// Result is one test's outcome with everything needed to explain it.
type Result struct {
	Name   string
	Kind   Kind
	Origin string
	Recipe string
	Status Status
	// Message is the headline: the first problem, or the skip reason.
	Message  string
	Duration time.Duration
	// Command is what the test ran (see Describe).
	Command  string
	Expected []string
	Problems []string
	Stdout   Tail
	Stderr   Tail
	// ServiceLog is the tail of a service's output.
	ServiceLog Tail

	// Comparison is a compare test's judgement against its reference.
	Comparison *Comparison
	// Bench is a bench test's measurements.
	Bench *BenchResult
	// Captured is what a compare test captured, whole: what a reference
	// records. Reports do not print it.
	Captured *string
}

// Tail is the end of some output, trimmed for reading.
type Tail struct {
	Text string
	// OmittedLines counts whole lines before Text that are not shown.
	OmittedLines int
}

// Summary counts results by status.
type Summary struct {
	Total, Passed, Failed, Errors, Skipped, XFailed int
}

// Summary counts the report's results.
func (r *Report) Summary() Summary {
	s := Summary{Total: len(r.Results)}
	for _, res := range r.Results {
		switch res.Status {
		case StatusPassed:
			s.Passed++
		case StatusFailed:
			s.Failed++
		case StatusError:
			s.Errors++
		case StatusSkipped:
			s.Skipped++
		case StatusXFail:
			s.XFailed++
		}
	}
	return s
}

// OK reports whether every test that ran passed and none was left unrun. Skipped
// device tests do not count against it: when devices are required they are
// reported failed instead of skipped.
func (r *Report) OK() bool {
	s := r.Summary()
	return s.Failed == 0 && s.Errors == 0 && r.Incomplete == ""
}

// Explain is the human explanation of a result that did not pass: what ran,
// what was expected, what happened, and the end of its output.
func (res Result) Explain() string {
	var b strings.Builder
	field := func(label string, lines []string) {
		for i, l := range lines {
			if i == 0 {
				b.WriteString(label)
				b.WriteString(strings.Repeat(" ", 10-len(label)))
			} else {
				b.WriteString(strings.Repeat(" ", 10))
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	if res.Command != "" {
		field("command:", strings.Split(res.Command, "\n"))
	}
	field("expected:", res.Expected)
	if res.Status == StatusSkipped {
		field("skipped:", []string{res.Message})
	} else {
		field("actual:", res.Problems)
	}
	field("against:", append(comparisonLines(res.Comparison), benchLines(res.Bench)...))
	block(&b, "stdout", res.Stdout)
	block(&b, "stderr", res.Stderr)
	block(&b, "service log", res.ServiceLog)
	if res.Origin != "" {
		field("defined:", []string{res.Origin})
	}
	return strings.TrimRight(b.String(), "\n")
}

func block(b *strings.Builder, label string, t Tail) {
	if t.Text == "" {
		return
	}
	b.WriteString(label)
	if t.OmittedLines > 0 {
		b.WriteString(" (last lines; ")
		b.WriteString(plural(t.OmittedLines, "earlier line"))
		b.WriteString(" not shown)")
	}
	b.WriteString(":\n")
	for _, l := range strings.Split(strings.TrimRight(t.Text, "\n"), "\n") {
		b.WriteString("  | ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
}
