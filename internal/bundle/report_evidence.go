package bundle

import (
	"strconv"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// A reproduction shows its results beside the contributor's, from the
// test report the bundle carries: the same tests, run on the contributor's
// host and on the reviewer's.

// SideBySide is one test as the contributor's report and this run give it.
type SideBySide struct {
	Name string
	// Contributor and Reviewer are the statuses; "" when that side has no
	// such test.
	Contributor, Reviewer smoke.Status
	Metrics               []MetricSideBySide
}

// MetricSideBySide is one benchmark metric's medians on both sides, and
// the reference's.
type MetricSideBySide struct {
	Name, Unit            string
	Contributor, Reviewer string
	Reference             string
}

// SideBySide pairs the contributor's results with this run's, in the
// contributor's order, then this run's tests the report does not have.
func (r *Report) SideBySide() []SideBySide {
	if r.Contributor == nil {
		return nil
	}
	mine := map[string]smoke.Result{}
	if r.Smoke != nil {
		for _, res := range r.Smoke.Results {
			mine[res.Name] = res
		}
	}
	seen := map[string]bool{}
	var out []SideBySide
	for _, t := range r.Contributor.Tests {
		seen[t.Name] = true
		row := SideBySide{Name: t.Name, Contributor: t.Status}
		res, ok := mine[t.Name]
		if ok {
			row.Reviewer = res.Status
		}
		for _, m := range t.Metrics {
			ms := MetricSideBySide{Name: m.Name, Unit: m.Unit, Contributor: figure(m.Median), Reviewer: "—", Reference: "—"}
			if m.ReferenceMedian != nil {
				ms.Reference = figure(*m.ReferenceMedian)
			}
			if ok && res.Bench != nil {
				for _, rm := range res.Bench.Metrics {
					if rm.Name == m.Name {
						ms.Reviewer = figure(rm.Stats.Median)
					}
				}
			}
			row.Metrics = append(row.Metrics, ms)
		}
		out = append(out, row)
	}
	if r.Smoke != nil {
		for _, res := range r.Smoke.Results {
			if !seen[res.Name] {
				out = append(out, SideBySide{Name: res.Name, Reviewer: res.Status})
			}
		}
	}
	return out
}

func figure(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

// benchRows says whether any test of rows has benchmark figures.
func benchRows(rows []SideBySide) bool {
	for _, r := range rows {
		if len(r.Metrics) > 0 {
			return true
		}
	}
	return false
}
