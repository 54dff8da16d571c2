package smoke

import "time"

// NewResult puts a case, what was observed and its verdict together into the
// result reports are made of. Outputs are trimmed to their tails here, once.
func NewResult(c Case, obs Observation, v Verdict, d time.Duration) Result {
	t := c.Test
	res := Result{
		Name:     t.Name.Value,
		Kind:     KindOf(t),
		Origin:   c.Where(),
		Recipe:   c.Recipe,
		Status:   v.Status,
		Message:  v.Message,
		Duration: d,
		Command:  Describe(t),
		Expected: Expectations(t),
		Problems: v.Problems,
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

// gatedResult is the result of a test the device gate stopped.
func gatedResult(c Case, v Verdict) Result {
	return NewResult(c, Observation{}, v, 0)
}
