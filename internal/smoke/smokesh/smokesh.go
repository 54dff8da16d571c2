// Package smokesh renders smoke.sh: a target's smoke tests as plain POSIX
// shell that runs them against a running container with docker exec, for a
// reviewer without macabox. It is the second runner of the tests the Go
// runner (package runner) runs, made from the same smoke.Test values and
// the same in-container scripts; the two are tested against each other on
// the same tests, so a bundle's smoke.sh checks what `macabox test` checks.
//
// Expectations are Go regular expressions; smoke.sh checks them with
// grep -E, translated once here (ere.go). A test that cannot be checked in
// shell without weakening it is skipped by smoke.sh with the reason.
package smokesh

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"

	"github.com/ccf-ai-infra/macabox/internal/shell"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

//go:embed templates/smoke.sh.tmpl
var templates embed.FS

// Script is what smoke.sh is made of.
type Script struct {
	Target string
	// SimulatedNote is the notice a script of an image on a simulated MACA
	// base carries; "" for a real base.
	SimulatedNote string
	Tests         []smoke.Test
}

// Check is one test as smoke.sh runs it: the shell lines between begin and
// finish, or the reason it cannot be checked in shell.
type Check struct {
	Name, Origin string
	Device       bool
	// XFail says why the test is expected to fail (smoke.ExpectedFailure).
	XFail string
	Lines []string
	// Unchecked says why smoke.sh cannot check the test; it is reported as
	// skipped with this reason (macabox reproduce still checks it).
	Unchecked string
}

// Checks turns tests into smoke.sh blocks. Every value is quoted;
// expectations are translated to grep -E once, here.
func Checks(tests []smoke.Test) []Check {
	out := make([]Check, 0, len(tests))
	for _, t := range tests {
		c := Check{Name: t.Name, Origin: t.Origin, Device: smoke.NeedsDevice(t), XFail: t.XFail}
		lines, err := testLines(t)
		if err != nil {
			c.Unchecked = err.Error()
		}
		if why := goRunnerOnly(t); why != "" {
			lines, c.Unchecked = nil, why
		}
		c.Lines = lines
		out = append(out, c)
	}
	return out
}

// goRunnerOnly says why a test needs macabox itself: comparing with a
// reference platform's output (numbers within a tolerance, a similarity
// ratio, JSON paths) and benchmark statistics have no faithful form in
// POSIX shell, and a smoke.sh that ran the command and passed would claim
// a match it never checked.
func goRunnerOnly(t smoke.Test) string {
	switch {
	case t.Compare != nil:
		return "it compares its output with a reference platform's (compare:), which only macabox does"
	case t.Bench != nil:
		return "it is a benchmark (bench:) measured against a reference platform, which only macabox does"
	}
	return ""
}

// Unchecked lists the tests smoke.sh cannot check, for warnings and the
// bundle's known issues.
func Unchecked(checks []Check) []string {
	var out []string
	for _, c := range checks {
		if c.Unchecked != "" {
			out = append(out, fmt.Sprintf("%q (%s): %s", c.Name, c.Origin, c.Unchecked))
		}
	}
	return out
}

// scriptData is what the template reads.
type scriptData struct {
	Target        string
	Simulated     bool
	SimulatedNote string
	Tests         []Check
	Scripts       smoke.ShellScripts
	// Uses names the helpers the tests need, so the script defines no others.
	Uses map[string]bool
}

// Render writes smoke.sh.
func Render(s Script) ([]byte, error) {
	checks := Checks(s.Tests)
	d := scriptData{
		Target: s.Target, Simulated: s.SimulatedNote != "", SimulatedNote: s.SimulatedNote,
		Tests: checks, Scripts: smoke.Scripts(), Uses: helpersUsed(checks),
	}
	t, err := template.New("smoke.sh.tmpl").Funcs(template.FuncMap{
		"sq": shell.Quote, "comment": shell.Comment,
	}).ParseFS(templates, "templates/smoke.sh.tmpl")
	if err != nil {
		return nil, fmt.Errorf("template smoke.sh: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("rendering smoke.sh: %w", err)
	}
	return b.Bytes(), nil
}

func indent(lines []string) []string { return indentN(lines, 1) }

func indentN(lines []string, n int) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Repeat("\t", n) + l
	}
	return out
}
