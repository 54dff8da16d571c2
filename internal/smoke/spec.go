package smoke

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Defaults for limits a test leaves unset.
const (
	DefaultTestTimeout    = 2 * time.Minute
	DefaultServiceTimeout = time.Minute
)

// Case is one test to run, with where it was written, so that every report can
// point the reader back at the recipe line.
type Case struct {
	Test recipe.Test
	// Origin is "file:line" of the test; empty means take it from Test.Pos.
	Origin string
	// Recipe names the recipe the test comes from (a base, a layer or the
	// stack); reports use it to group tests of a stack. Optional.
	Recipe string
}

// Where returns the test's origin as "file:line", or "" when unknown.
func (c Case) Where() string {
	if c.Origin != "" {
		return c.Origin
	}
	if c.Test.Pos.File == "" {
		return ""
	}
	if c.Test.Pos.Line == 0 {
		return c.Test.Pos.File
	}
	return c.Test.Pos.File + ":" + strconv.Itoa(c.Test.Pos.Line)
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
func KindOf(t recipe.Test) Kind {
	switch {
	case t.Service != nil:
		return KindService
	case t.Run.Value != "":
		return KindCommand
	case t.File.Value != "":
		return KindFile
	case t.Variable.Value != "":
		return KindVariable
	}
	return ""
}

// NeedsDevice reports whether the test asks for a MACA device.
func NeedsDevice(t recipe.Test) bool {
	for _, n := range t.Needs {
		if n.Value == "device" {
			return true
		}
	}
	return false
}

// TestTimeout is the limit for the whole test.
func TestTimeout(t recipe.Test) (time.Duration, error) {
	return durationOr(t.Timeout, DefaultTestTimeout, "timeout")
}

// ServiceTimeout is how long a service may take to become ready.
func ServiceTimeout(t recipe.Test) (time.Duration, error) {
	if t.Service == nil {
		return 0, nil
	}
	return durationOr(t.Service.Timeout, DefaultServiceTimeout, "service.timeout")
}

func durationOr(d recipe.Duration, def time.Duration, field string) (time.Duration, error) {
	if d.Value == "" {
		return def, nil
	}
	v, err := time.ParseDuration(d.Value)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("field %q: %q is not a positive duration such as 90s or 15m", field, d.Value)
	}
	return v, nil
}

// TestEnv returns the test's extra environment as KEY=VALUE, in written order.
func TestEnv(t recipe.Test) []string {
	env := make([]string, 0, len(t.Env))
	for _, kv := range t.Env {
		env = append(env, kv.Key.Value+"="+kv.Value.Value)
	}
	return env
}

// Describe is the one-line form of what a test does, shown as its "command" in
// reports: the shell command for command tests, and a readable stand-in for the
// other kinds.
func Describe(t recipe.Test) string {
	switch KindOf(t) {
	case KindCommand:
		return t.Run.Value
	case KindFile:
		return "file " + t.File.Value
	case KindVariable:
		return "variable " + t.Variable.Value
	case KindService:
		s := "service: " + t.Service.Run.Value
		if r := describeReady(t.Service.Ready); r != "" {
			s += "; ready: " + r
		}
		if t.Probe.Value != "" {
			s += "; probe: " + t.Probe.Value
		}
		return s
	}
	return ""
}

func describeReady(r *recipe.Ready) string {
	switch {
	case r == nil:
		return ""
	case r.HTTP.Value != "":
		return "http " + r.HTTP.Value
	case r.TCP.Value != 0:
		return "tcp port " + strconv.Itoa(r.TCP.Value)
	}
	return ""
}

// Expectations lists, in words, what a test requires, defaults included, so a
// failure report shows the whole contract and not only the broken part.
func Expectations(t recipe.Test) []string {
	e := t.Expect
	if e == nil {
		e = &recipe.Expect{}
	}
	var out []string
	switch KindOf(t) {
	case KindCommand:
		out = commandExpectations(e)
		for _, f := range e.Files {
			out = append(out, "file "+f.Value+" exists and is not empty")
		}
	case KindService:
		if r := describeReady(t.Service.Ready); r != "" {
			out = append(out, "ready ("+r+") within the service timeout")
		}
		if t.Probe.Value != "" {
			out = append(out, commandExpectations(e)...)
		}
	case KindFile:
		if !wantExists(e) {
			return []string{"does not exist"}
		}
		out = append(out, "exists")
		if e.Mode.Value != "" {
			out = append(out, "mode "+e.Mode.Value)
		}
		if e.Content.Value != "" {
			out = append(out, "content matches /"+e.Content.Value+"/")
		}
	case KindVariable:
		if !wantExists(e) {
			return []string{"is not set"}
		}
		out = append(out, "is set")
		if e.Value.Value != "" {
			out = append(out, "value matches /"+e.Value.Value+"/")
		}
	}
	return out
}

func commandExpectations(e *recipe.Expect) []string {
	out := []string{"exit code " + strconv.Itoa(wantExit(e))}
	add := func(what string, re recipe.Str) {
		if re.Value != "" {
			out = append(out, what+" /"+re.Value+"/")
		}
	}
	add("stdout matches", e.Stdout)
	add("stderr matches", e.Stderr)
	add("stdout does not match", e.NotStdout)
	add("stderr does not match", e.NotStderr)
	return out
}

func wantExit(e *recipe.Expect) int {
	if e == nil || e.Exit == nil {
		return 0
	}
	return e.Exit.Value
}

func wantExists(e *recipe.Expect) bool {
	return e == nil || e.Exists == nil || e.Exists.Value
}

// oneLine squeezes a possibly multi-line command into one line for headings.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
