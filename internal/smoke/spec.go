package smoke

import (
	"fmt"
	"strconv"
	"time"
)

// Defaults for limits a test leaves unset.
const (
	DefaultTestTimeout    = 2 * time.Minute
	DefaultServiceTimeout = time.Minute
)

// Test is one smoke test as the runners see it: what it runs and expects,
// with the recipe line it was written at, and no other trace of the recipe.
// The plan makes it once from a recipe (after argument substitution); a
// bundle's tests.json is a list of them, so both runners (the Go runner in
// a container and the bundle's smoke.sh) read exactly what the recipe meant.
type Test struct {
	Name string `json:"name"`
	// Origin is "file:line" of the test in its recipe; "" when unknown.
	Origin string `json:"origin,omitempty"`
	// Recipe names the recipe the test comes from (a base, a layer or the
	// stack); reports group a stack's tests by it.
	Recipe string `json:"recipe,omitempty"`

	// Exactly one of Run, File, Variable and Service says what the test is.
	Run      string   `json:"run,omitempty"`
	File     string   `json:"file,omitempty"`
	Variable string   `json:"variable,omitempty"`
	Service  *Service `json:"service,omitempty"`

	// Probe checks a service once it is ready.
	Probe   string   `json:"probe,omitempty"`
	Expect  *Expect  `json:"expect,omitempty"`
	Needs   []string `json:"needs,omitempty"`
	Timeout string   `json:"timeout,omitempty"`
	Env     []EnvVar `json:"env,omitempty"`
	// XFail says why the test is expected to fail; see ExpectedFailure.
	XFail string `json:"xfail,omitempty"`

	// Compare compares the command's output with the reference platform's;
	// Bench measures it. Both are judged against Against.
	Compare *Compare `json:"compare,omitempty"`
	Bench   *Bench   `json:"bench,omitempty"`
	// Against is attached by whoever runs the test (it is not part of the
	// test as written); nil for a compare or bench test means no reference
	// was found.
	Against *Against `json:"-"`
}

// Service is a background process a test starts and waits for: ready when
// ReadyTCP accepts connections or ReadyHTTP answers 2xx.
type Service struct {
	Run       string `json:"run"`
	ReadyTCP  int    `json:"readyTcp,omitempty"`
	ReadyHTTP string `json:"readyHttp,omitempty"`
	Timeout   string `json:"timeout,omitempty"`
}

// Expect holds a test's assertions; patterns are Go regular expressions.
type Expect struct {
	Exit      *int     `json:"exit,omitempty"`
	Stdout    string   `json:"stdout,omitempty"`
	Stderr    string   `json:"stderr,omitempty"`
	NotStdout string   `json:"notStdout,omitempty"`
	NotStderr string   `json:"notStderr,omitempty"`
	Files     []string `json:"files,omitempty"`
	Exists    *bool    `json:"exists,omitempty"`
	Mode      string   `json:"mode,omitempty"`
	Content   string   `json:"content,omitempty"`
	Value     string   `json:"value,omitempty"`
}

// EnvVar is one variable of a test's extra environment.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Kind is what a test checks.
type Kind string

const (
	KindCommand  Kind = "command"
	KindFile     Kind = "file"
	KindVariable Kind = "variable"
	KindService  Kind = "service"
)

// KindOf tells which kind a test is. Validation guarantees exactly one kind; an
// empty result means the test has none, which the runner reports as an error.
func KindOf(t Test) Kind {
	switch {
	case t.Service != nil:
		return KindService
	case t.Run != "":
		return KindCommand
	case t.File != "":
		return KindFile
	case t.Variable != "":
		return KindVariable
	}
	return ""
}

// NeedsDevice reports whether the test asks for a MACA device.
func NeedsDevice(t Test) bool {
	for _, n := range t.Needs {
		if n == "device" {
			return true
		}
	}
	return false
}

// TestTimeout is the limit for the whole test.
func TestTimeout(t Test) (time.Duration, error) {
	return durationOr(t.Timeout, DefaultTestTimeout, "timeout")
}

// ServiceTimeout is how long a service may take to become ready.
func ServiceTimeout(t Test) (time.Duration, error) {
	if t.Service == nil {
		return 0, nil
	}
	return durationOr(t.Service.Timeout, DefaultServiceTimeout, "service.timeout")
}

func durationOr(d string, def time.Duration, field string) (time.Duration, error) {
	if d == "" {
		return def, nil
	}
	v, err := time.ParseDuration(d)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("field %q: %q is not a positive duration such as 90s or 15m", field, d)
	}
	return v, nil
}

// Readiness is how a service's readiness is checked: kind "tcp" with a
// port, or "http" with a URL, as the in-container ready script takes them.
func Readiness(s *Service) (kind, target string, err error) {
	switch {
	case s == nil:
	case s.ReadyHTTP != "":
		return "http", s.ReadyHTTP, nil
	case s.ReadyTCP > 0 && s.ReadyTCP < 65536:
		return "tcp", strconv.Itoa(s.ReadyTCP), nil
	}
	return "", "", fmt.Errorf("service.ready needs a tcp port (1-65535) or an http URL")
}

// TestEnv returns the test's extra environment as KEY=VALUE, in written order.
func TestEnv(t Test) []string {
	env := make([]string, 0, len(t.Env))
	for _, kv := range t.Env {
		env = append(env, kv.Name+"="+kv.Value)
	}
	return env
}

// Describe is the one-line form of what a test does, shown as its "command" in
// reports: the shell command for command tests, and a readable stand-in for the
// other kinds.
func Describe(t Test) string {
	switch KindOf(t) {
	case KindCommand:
		return t.Run
	case KindFile:
		return "file " + t.File
	case KindVariable:
		return "variable " + t.Variable
	case KindService:
		s := "service: " + t.Service.Run
		if r := describeReady(t.Service); r != "" {
			s += "; ready: " + r
		}
		if t.Probe != "" {
			s += "; probe: " + t.Probe
		}
		return s
	}
	return ""
}

func describeReady(s *Service) string {
	switch {
	case s.ReadyHTTP != "":
		return "http " + s.ReadyHTTP
	case s.ReadyTCP != 0:
		return "tcp port " + strconv.Itoa(s.ReadyTCP)
	}
	return ""
}

// Expectations lists, in words, what a test requires, defaults included, so a
// failure report shows the whole contract and not only the broken part.
func Expectations(t Test) []string {
	e := expectOf(t)
	var out []string
	switch KindOf(t) {
	case KindCommand:
		out = commandExpectations(e)
		for _, f := range e.Files {
			out = append(out, "file "+f+" exists and is not empty")
		}
		out = append(out, referenceExpectations(t)...)
	case KindService:
		if r := describeReady(t.Service); r != "" {
			out = append(out, "ready ("+r+") within the service timeout")
		}
		if t.Probe != "" {
			out = append(out, commandExpectations(e)...)
		}
	case KindFile:
		if !WantExists(e) {
			return []string{"does not exist"}
		}
		out = append(out, "exists")
		if e.Mode != "" {
			out = append(out, "mode "+e.Mode)
		}
		if e.Content != "" {
			out = append(out, "content matches /"+e.Content+"/")
		}
	case KindVariable:
		if !WantExists(e) {
			return []string{"is not set"}
		}
		out = append(out, "is set")
		if e.Value != "" {
			out = append(out, "value matches /"+e.Value+"/")
		}
	}
	return out
}

// expectOf is the test's expectations, the empty set (all defaults) when it
// has none.
func expectOf(t Test) *Expect {
	if t.Expect == nil {
		return &Expect{}
	}
	return t.Expect
}

func commandExpectations(e *Expect) []string {
	out := []string{"exit code " + strconv.Itoa(WantExit(e))}
	add := func(what, re string) {
		if re != "" {
			out = append(out, what+" /"+re+"/")
		}
	}
	add("stdout matches", e.Stdout)
	add("stderr matches", e.Stderr)
	add("stdout does not match", e.NotStdout)
	add("stderr does not match", e.NotStderr)
	return out
}

// WantExit is the exit code a command must end with (default 0).
func WantExit(e *Expect) int {
	if e == nil || e.Exit == nil {
		return 0
	}
	return *e.Exit
}

// WantExists says whether a file or variable must exist (default yes).
func WantExists(e *Expect) bool {
	return e == nil || e.Exists == nil || *e.Exists
}
