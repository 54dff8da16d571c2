package smoke

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/compare"
)

// NoReference is the message of a compare or bench test that has nothing
// to be compared with: never a pass, since "matches the reference" is what
// the test claims.
const NoReference = "no reference recorded for this test, run macabox reference record TARGET --image REF_IMAGE"

// againstReference judges a command test's compare and bench blocks, once
// the command's own expectations are judged.
func (c *checks) againstReference(t Test, obs Observation) {
	if !WantsReference(t) {
		return
	}
	a := t.Against
	if t.Bench != nil {
		c.benchmark(t, obs, a)
	}
	if t.Compare != nil && len(c.problems) == 0 && len(c.errors) == 0 {
		c.compared(t, obs, a)
	}
	if a == nil || (!a.Recording && a.Reference == nil) {
		msg := NoReference
		if a != nil && a.Missing != "" {
			msg = a.Missing
		}
		c.fail("%s", msg)
	}
}

// captured is what a compare test compares: stdout, or the file it names.
func captured(t Test, obs Observation) (string, string) {
	if t.Compare.File == "" {
		if obs.Command == nil {
			return "", "the command did not run"
		}
		return obs.Command.Stdout, ""
	}
	if obs.Captured == nil {
		return "", t.Compare.File + " could not be read"
	}
	return obs.Captured.Text, obs.Captured.Problem
}

// compared judges the capture against the reference's.
func (c *checks) compared(t Test, obs Observation, a *Against) {
	got, problem := captured(t, obs)
	if problem != "" {
		c.fail("compare: %s", problem)
		return
	}
	c.capture = &got
	if a == nil || a.Recording || a.Reference == nil {
		return
	}
	ref := a.Reference
	if !ref.HasOutput {
		c.broken("compare: the recorded reference has no captured output; record it again")
		return
	}
	spec, err := t.Compare.Spec()
	if err != nil {
		c.broken("compare: %v", err)
		return
	}
	o, err := compare.Compare(spec, ref.Output, got)
	if err != nil {
		c.broken("compare: %v; record the reference again", err)
		return
	}
	c.comparison = &Comparison{
		Mode: string(spec.Rule.Mode), OK: o.OK, Summary: o.Summary, Fields: o.Fields, Reference: ref.Source,
	}
	if !o.OK {
		c.fail("differs from the reference: %s", o.Summary)
	}
}

// benchmark checks every run and computes each metric's statistics, and
// their ratio to the reference's.
func (c *checks) benchmark(t Test, obs Observation, a *Against) {
	b := t.Bench
	want := WantExit(t.Expect)
	var measured []BenchRun
	for i, r := range obs.Runs {
		if !r.Output.Killed && r.Output.Exit != want {
			c.fail("run %d of %d exited %d, expected %d", i+1, len(obs.Runs), r.Output.Exit, want)
			return
		}
		if !r.Warmup {
			measured = append(measured, r)
		}
	}
	if len(measured) < b.Repeat {
		c.fail("only %d of %d measured runs completed", len(measured), b.Repeat)
		return
	}
	res := &BenchResult{Warmup: b.Warmup, Repeat: b.Repeat}
	var ref *Reference
	if a != nil && !a.Recording {
		ref = a.Reference
	}
	if ref != nil {
		res.Reference = ref.Source
	}
	for _, m := range b.Metrics {
		mr := MetricResult{Name: m.Name, Unit: m.Unit, Better: m.Better}
		for i, r := range measured {
			v, err := metricValue(m, r)
			var broken *brokenMetric
			switch {
			case errors.As(err, &broken):
				c.broken("bench metric %q: %v", m.Name, err)
				return
			case err != nil:
				c.fail("bench metric %q: measured run %d: %v", m.Name, i+1, err)
				return
			}
			mr.Samples = append(mr.Samples, v)
		}
		mr.Stats = compare.Summarize(mr.Samples)
		if ref != nil {
			if st, ok := ref.Metrics[m.Name]; ok {
				mr.Reference = &st
				if r, ok := compare.MedianRatio(mr.Stats, st); ok {
					mr.Ratio = &r
				}
			} else {
				c.fail("bench metric %q is not in the recorded reference; record it again", m.Name)
			}
		}
		res.Metrics = append(res.Metrics, mr)
	}
	c.bench = res
}

// brokenMetric is a metric that cannot be read from any output: its
// pattern or path is wrong, not the run.
type brokenMetric struct{ err error }

func (b *brokenMetric) Error() string { return b.err.Error() }

// metricValue reads one metric from one run.
func metricValue(m Metric, r BenchRun) (float64, error) {
	switch {
	case m.Wall:
		return r.Duration.Seconds(), nil
	case m.Regex != "":
		re, err := compile(m.Regex)
		if err != nil {
			return 0, &brokenMetric{err}
		}
		match := re.FindStringSubmatch(r.Output.Stdout)
		if match == nil {
			return 0, fmt.Errorf("stdout does not match /%s/", m.Regex)
		}
		text := match[0]
		if len(match) > 1 {
			text = match[1]
		}
		return parseNumber(text)
	case m.JSON != "":
		p, err := compare.ParsePath(m.JSON)
		if err != nil {
			return 0, &brokenMetric{err}
		}
		doc, err := jsonOutput(r.Output.Stdout)
		if err != nil {
			return 0, err
		}
		v, err := p.Lookup(doc)
		if err != nil {
			return 0, err
		}
		return parseNumber(strings.Trim(fmt.Sprint(v), `"`))
	}
	return 0, &brokenMetric{errors.New("it has none of regex, json or wall")}
}

// jsonOutput reads stdout as JSON: all of it, else its last line that is
// JSON, since a benchmark often logs before it prints its figures.
func jsonOutput(stdout string) (any, error) {
	doc, err := compare.ParseJSON(stdout)
	if err == nil {
		return doc, nil
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "{") || strings.HasPrefix(l, "[") {
			if doc, lerr := compare.ParseJSON(l); lerr == nil {
				return doc, nil
			}
		}
	}
	return nil, fmt.Errorf("stdout is not JSON and has no line that is: %v", err)
}

var digitGroups = regexp.MustCompile(`(\d),(\d{3})`)

// parseNumber reads a figure as tools print it, thousands separators too.
func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(digitGroups.ReplaceAllString(s, "$1$2"))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}
