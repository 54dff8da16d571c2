package runner

import (
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// TestRunMeasures: a bench test's command runs its warm-up and measured
// times, a compare test captures the file it names, and the report names
// the image and the platform the figures belong to.
func TestRunMeasures(t *testing.T) {
	against := &smoke.Against{Recording: true}
	rep := runCases(t, Options{},
		caseOf(smoke.Test{Name: "counted", Run: "echo x >> /tmp/runs; sleep 0.2; echo \"$(wc -l < /tmp/runs) runs\"",
			Bench: &smoke.Bench{Warmup: 2, Repeat: 3, Metrics: []smoke.Metric{
				{Name: "runs", Regex: `(\d+) runs`}, {Name: "time", Wall: true, Unit: "s"},
			}}, Against: against}),
		caseOf(smoke.Test{Name: "stops at a failure", Run: "echo y >> /tmp/fails; [ $(wc -l < /tmp/fails) -lt 2 ]",
			Bench: &smoke.Bench{Warmup: 0, Repeat: 5, Metrics: []smoke.Metric{{Name: "time", Wall: true}}}, Against: against}),
		caseOf(smoke.Test{Name: "captures a file", Run: "echo captured > /tmp/c.txt; echo not this",
			Compare: &smoke.Compare{File: "/tmp/c.txt"}, Against: against}),
		caseOf(smoke.Test{Name: "a missing file", Run: "true", Compare: &smoke.Compare{File: "/tmp/none.txt"}, Against: against}),
	)
	got := byName(rep)

	counted := got["counted"]
	if counted.Status != smoke.StatusPassed || counted.Bench == nil {
		t.Fatalf("counted: %s\n%s", counted.Status, counted.Explain())
	}
	runs, wall := counted.Bench.Metrics[0], counted.Bench.Metrics[1]
	if len(runs.Samples) != 3 || runs.Samples[0] != 3 || runs.Samples[2] != 5 {
		t.Errorf("the measured runs are not runs 3 to 5 (two warm-ups first): %v", runs.Samples)
	}
	if wall.Stats.Min < 0.2 || wall.Stats.N != 3 {
		t.Errorf("wall time of a command that sleeps 0.2 s: %+v", wall.Stats)
	}

	fails := got["stops at a failure"]
	if fails.Status != smoke.StatusFailed || !strings.Contains(strings.Join(fails.Problems, "\n"), "run 2 of 2 exited 1") {
		t.Errorf("stops at a failure: %s %q", fails.Status, fails.Problems)
	}

	if c := got["captures a file"]; c.Status != smoke.StatusPassed || c.Captured == nil || *c.Captured != "captured\n" {
		t.Errorf("captures a file: %s %v", c.Status, c.Captured)
	}
	if c := got["a missing file"]; c.Status != smoke.StatusFailed || !strings.Contains(c.Message, "/tmp/none.txt could not be read") {
		t.Errorf("a missing file: %s %q", c.Status, c.Message)
	}

	if !strings.HasPrefix(rep.ImageID, "sha256:") {
		t.Errorf("the report does not name the image's ID: %q", rep.ImageID)
	}
	if rep.Platform.Arch == "" {
		t.Errorf("the platform probe found no architecture: %+v", rep.Platform)
	}
}
