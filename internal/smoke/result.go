package smoke

import "time"

// NewResult puts a test, what was observed and its verdict together into the
// result reports are made of. Outputs are trimmed to their tails here, once.
func NewResult(t Test, obs Observation, v Verdict, d time.Duration) Result {
	v = ExpectedFailure(t, v)
	res := Result{
		Name:     t.Name,
		Kind:     KindOf(t),
		Origin:   t.Origin,
		Recipe:   t.Recipe,
		Status:   v.Status,
		Message:  v.Message,
		Duration: d,
		Command:  Describe(t),
		Expected: Expectations(t),
		Problems: v.Problems,

		Comparison: v.Comparison,
		Bench:      v.Bench,
		Captured:   v.Captured,
	}
	if obs.Command != nil {
		res.Stdout = TailOf(obs.Command.Stdout)
		res.Stderr = TailOf(obs.Command.Stderr)
	}
	// A service's log matters only when something went wrong with it.
	if obs.Service != nil && v.Status != StatusPassed {
		res.ServiceLog = TailOf(obs.Service.Log)
	}
	return res
}

// ExpectedFailure applies a test's xfail mark to its verdict: a failure (or a
// test that could not be judged) becomes an expected failure, and a pass
// becomes a failure, since the gap the mark describes has closed and the
// mark must go. Skipped tests stay skipped.
func ExpectedFailure(t Test, v Verdict) Verdict {
	if t.XFail == "" {
		return v
	}
	switch v.Status {
	case StatusFailed, StatusError:
		v.Status, v.Message = StatusXFail, "expected failure: "+t.XFail
	case StatusPassed:
		msg := "passed, but it is marked as expected to fail (" + t.XFail + "): remove its xfail"
		v.Status, v.Message, v.Problems = StatusFailed, msg, []string{msg}
	}
	return v
}
