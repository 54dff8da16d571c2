package smoke

import (
	"fmt"
	"regexp"
	"strconv"
)

// Verdict is the judgement of one test.
type Verdict struct {
	Status Status
	// Message is the headline: the first problem, or the skip reason.
	Message string
	// Problems lists every check that did not hold, in the order checked.
	Problems []string
	// Comparison and Bench are a compare or bench test's findings; Captured
	// is what a compare test captured (what a reference records).
	Comparison *Comparison
	Bench      *BenchResult
	Captured   *string
}

// DeviceGate decides a test that needs a MACA device on a host without one:
// skipped with the reason, or failed when the user demanded devices. ok is
// false when the test must not run.
func DeviceGate(t Test, hasDevice bool, reason string, require bool) (v Verdict, ok bool) {
	if !NeedsDevice(t) || hasDevice {
		return Verdict{}, true
	}
	if reason == "" {
		reason = "no MACA device"
	}
	if require {
		msg := "needs a MACA device and devices are required: " + reason
		return Verdict{Status: StatusFailed, Message: msg, Problems: []string{msg}}, false
	}
	return Verdict{Status: StatusSkipped, Message: reason}, false
}

// Evaluate judges what was observed against what the test expects. It is pure:
// the same test and observation always give the same verdict.
func Evaluate(t Test, obs Observation) Verdict {
	e := expectOf(t)
	var c checks
	if obs.TimedOut {
		c.fail("timed out after %s", obs.Timeout)
	}
	switch KindOf(t) {
	case KindCommand:
		c.command(e, obs.Command)
		c.filesPresent(obs.Files)
		if !obs.TimedOut {
			c.againstReference(t, obs)
		}
	case KindService:
		if c.service(obs.Service, obs.TimedOut) && t.Probe != "" {
			c.command(e, obs.Command)
		}
	case KindFile:
		if len(obs.Files) > 0 || !obs.TimedOut {
			c.file(e, t.File, obs.Files)
		}
	case KindVariable:
		c.variable(e, t.Variable, obs.Variable)
	default:
		c.broken("the test has none of run, file, variable or service")
	}
	return c.verdict()
}

// checks collects problems; a broken expectation (a bad regular expression) is
// an error of the test itself, not a failure of the image.
type checks struct {
	problems []string
	errors   []string
	// What a compare or bench test found, kept whatever the verdict.
	comparison *Comparison
	bench      *BenchResult
	capture    *string
}

func (c *checks) fail(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *checks) broken(format string, args ...any) {
	c.errors = append(c.errors, fmt.Sprintf(format, args...))
}

func (c *checks) verdict() Verdict {
	v := Verdict{Status: StatusPassed, Comparison: c.comparison, Bench: c.bench, Captured: c.capture}
	switch {
	case len(c.errors) > 0:
		v.Status, v.Message = StatusError, c.errors[0]
		v.Problems = append(append([]string(nil), c.errors...), c.problems...)
	case len(c.problems) > 0:
		v.Status, v.Message, v.Problems = StatusFailed, c.problems[0], c.problems
	}
	return v
}

func (c *checks) command(e *Expect, out *CommandOutput) {
	if out == nil {
		c.fail("the command did not run")
		return
	}
	if out.Killed {
		// The exit code of a killed shell says nothing about the expectation.
		return
	}
	if want := WantExit(e); out.Exit != want {
		c.fail("exit code %d, expected %d", out.Exit, want)
	}
	c.match("stdout", "expect.stdout", e.Stdout, out.Stdout, true)
	c.match("stderr", "expect.stderr", e.Stderr, out.Stderr, true)
	c.match("stdout", "expect.notStdout", e.NotStdout, out.Stdout, false)
	c.match("stderr", "expect.notStderr", e.NotStderr, out.Stderr, false)
}

// match checks text against a pattern. Patterns are multi-line: ^ and $ match
// at line boundaries, since people write them against one line of output.
func (c *checks) match(what, field, pattern, text string, want bool) {
	if pattern == "" {
		return
	}
	re, err := compile(pattern)
	if err != nil {
		c.broken("%s: %v", field, err)
		return
	}
	got := re.MatchString(text)
	switch {
	case want && !got:
		c.fail("%s does not match /%s/", what, pattern)
	case !want && got:
		c.fail("%s matches /%s/ (%q), expected no match", what, pattern, re.FindString(text))
	}
}

func compile(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("(?m)" + pattern)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression /%s/: %w", pattern, err)
	}
	return re, nil
}

func (c *checks) filesPresent(files []FileState) {
	for _, f := range files {
		switch {
		case !f.Exists:
			c.fail("file %s does not exist", f.Path)
		case !f.NonEmpty:
			c.fail("file %s is empty", f.Path)
		}
	}
}

// service reports whether the service became ready, so the probe is judged
// only then. When the whole test timed out while waiting, that is the problem
// already reported.
func (c *checks) service(s *ServiceState, timedOut bool) bool {
	switch {
	case s == nil:
		c.fail("the service did not start")
	case s.ProbeProblem != "":
		c.broken("%s", s.ProbeProblem)
	case s.Exited:
		c.fail("the service exited before it became ready (after %s)", RoundDuration(s.Waited))
	case !s.Ready:
		if !timedOut {
			c.fail("the service was not ready within %s", s.Timeout)
		}
	default:
		return true
	}
	return false
}

func (c *checks) file(e *Expect, path string, files []FileState) {
	if len(files) == 0 {
		c.fail("%s could not be examined", path)
		return
	}
	f := files[0]
	if !WantExists(e) {
		if f.Exists {
			c.fail("%s exists (%s), expected it not to", path, f.Type)
		}
		return
	}
	if !f.Exists {
		c.fail("%s does not exist", path)
		return
	}
	if e.Mode != "" {
		c.mode(path, e.Mode, f)
	}
	if e.Content != "" {
		re, err := compile(e.Content)
		switch {
		case err != nil:
			c.broken("expect.content: %v", err)
		case !f.ContentRead:
			c.fail("the content of %s could not be read", path)
		case !re.MatchString(f.Content):
			c.fail("content of %s does not match /%s/", path, e.Content)
		}
	}
}

func (c *checks) mode(path, want string, f FileState) {
	w, err := strconv.ParseUint(want, 8, 32)
	if err != nil || w > 07777 {
		c.broken("expect.mode: %q is not an octal permission such as 0755", want)
		return
	}
	if !f.PermKnown {
		c.fail("the mode of %s could not be read", path)
		return
	}
	if uint32(w) != f.Perm {
		c.fail("%s has mode %04o, expected %04o", path, f.Perm, w)
	}
}

func (c *checks) variable(e *Expect, name string, v *VariableState) {
	if v == nil {
		c.fail("variable %s could not be read", name)
		return
	}
	if !WantExists(e) {
		if v.Set {
			c.fail("%s is set (%q), expected it not to be", name, v.Value)
		}
		return
	}
	if !v.Set {
		c.fail("%s is not set", name)
		return
	}
	if e.Value != "" {
		re, err := compile(e.Value)
		switch {
		case err != nil:
			c.broken("expect.value: %v", err)
		case !re.MatchString(v.Value):
			c.fail("%s=%q does not match /%s/", name, v.Value, e.Value)
		}
	}
}
