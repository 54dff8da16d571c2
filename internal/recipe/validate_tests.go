package recipe

import "errors"

// tests checks smoke tests. Which expectations make sense depends on the
// test's kind: a run or service test has output, a file test has a mode and
// content, a variable test has a value.
func (v *validator) tests(tests []Test) {
	lines := map[string]int{}
	for _, t := range tests {
		v.literal(t.Name, "name", checkTestName)
		if line, dup := lines[t.Name.Value]; dup && !t.Name.Pos.IsZero() {
			v.errs.add(t.Name.Pos, "name", "test %s is already defined on line %d", quote(t.Name.Value), line)
		} else if !t.Name.Pos.IsZero() {
			lines[t.Name.Value] = t.Name.Pos.Line
		}
		kind := testKind(t)
		switch kind {
		case "run":
			v.literal(t.Run, "run", checkNotBlank)
		case "file":
			v.expanded(t.File, "file", checkAbsPath)
		case "variable":
			v.literal(t.Variable, "variable", checkEnvKey)
		case "service":
			v.service(t.Service)
		}
		if !t.Probe.Pos.IsZero() {
			if kind != "service" {
				v.errs.add(t.Probe.Pos, "probe", "only a service test has a probe")
			}
			v.literal(t.Probe, "probe", checkNotBlank)
		}
		v.literal(Str(t.Timeout), "timeout", checkDuration)
		v.env(t.Env, "env")
		if t.Expect != nil {
			v.expect(kind, t.Expect)
		}
		v.againstReference(kind, t)
	}
}

func testKind(t Test) string {
	switch {
	case !t.Run.Pos.IsZero():
		return "run"
	case !t.File.Pos.IsZero():
		return "file"
	case !t.Variable.Pos.IsZero():
		return "variable"
	case t.Service != nil:
		return "service"
	}
	return ""
}

func (v *validator) service(s *Service) {
	v.literal(s.Run, "run", checkNotBlank)
	v.literal(Str(s.Timeout), "timeout", checkDuration)
	if r := s.Ready; r != nil {
		if !r.TCP.Pos.IsZero() {
			if err := checkPort(r.TCP.Value); err != nil {
				v.errs.add(r.TCP.Pos, "tcp", "%s", err)
			}
		}
		v.expanded(r.HTTP, "http", checkHTTPURL)
	}
}

func (v *validator) expect(kind string, e *Expect) {
	if e.Exit != nil {
		if err := checkExit(e.Exit.Value); err != nil {
			v.errs.add(e.Exit.Pos, "exit", "%s", err)
		}
	}
	output := kind == "run" || kind == "service"
	v.onlyFor(output, e.Stdout, "stdout", "a run or service test")
	v.onlyFor(output, e.Stderr, "stderr", "a run or service test")
	v.onlyFor(output, e.NotStdout, "notStdout", "a run or service test")
	v.onlyFor(output, e.NotStderr, "notStderr", "a run or service test")
	v.onlyFor(kind == "file", e.Mode, "mode", "a file test")
	v.onlyFor(kind == "file", e.Content, "content", "a file test")
	v.onlyFor(kind == "variable", e.Value, "value", "a variable test")
	if e.Exit != nil && !output {
		v.errs.add(e.Exit.Pos, "exit", "only a run or service test has an exit code")
	}
	if e.Exists != nil && (kind == "run" || kind == "service") {
		v.errs.add(e.Exists.Pos, "exists", "only a file or variable test checks existence")
	}
	for _, f := range e.Files {
		if !output {
			v.errs.add(f.Pos, "files", "only a run or service test checks the files it produced")
		}
		v.expanded(f, "files", checkAbsPath)
	}
	for _, re := range []struct {
		s     Str
		field string
	}{{e.Stdout, "stdout"}, {e.Stderr, "stderr"}, {e.NotStdout, "notStdout"}, {e.NotStderr, "notStderr"}, {e.Content, "content"}, {e.Value, "value"}} {
		v.literal(re.s, re.field, v.checkRegexp)
	}
	v.literal(e.Mode, "mode", checkMode)
}

// onlyFor reports an expectation given to a kind of test that cannot have it.
func (v *validator) onlyFor(ok bool, s Str, field, what string) {
	if !ok && !s.Pos.IsZero() {
		v.errs.add(s.Pos, field, "only %s checks %s", what, field)
	}
}

func checkNotBlank(s string) error {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return nil
		}
	}
	return errors.New("empty command")
}
