package runner

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// benchCommands is how many trivial tests one iteration runs each way.
const benchCommands = 20

// BenchmarkExecOverhead compares the runner with what a person would type:
// `docker run -d`, one `docker exec` per command, `docker rm -f`. Both run the
// same trivial commands in the same image, in the same iteration, so the
// ratios hold on any machine:
//
//	exec-ratio          runner time per test / docker exec time per command
//	first-result-ratio  start to first result, runner / docker CLI
//	total-ratio         whole run including removal, runner / docker CLI
func BenchmarkExecOverhead(b *testing.B) {
	needDocker(b)
	cases := make([]smoke.Test, benchCommands)
	for i := range cases {
		cases[i] = caseOf(cmdTest(fmt.Sprintf("t%d", i), "true", nil))
	}
	var runner, cli benchSample
	for b.Loop() {
		runner.add(benchRunner(b, cases))
		cli.add(benchCLI(b, benchCommands))
	}
	b.ReportMetric(runner.perCmd(), "runner-ms/cmd")
	b.ReportMetric(cli.perCmd(), "docker-exec-ms/cmd")
	b.ReportMetric(runner.perCmd()/cli.perCmd(), "exec-ratio")
	b.ReportMetric(float64(runner.first)/float64(cli.first), "first-result-ratio")
	b.ReportMetric(float64(runner.total)/float64(cli.total), "total-ratio")
}

// benchSample sums one way's timings over the iterations.
type benchSample struct {
	execs, first, total time.Duration
	n                   int
}

func (s *benchSample) add(o benchSample) {
	s.execs += o.execs
	s.first += o.first
	s.total += o.total
	s.n += o.n
}

func (s *benchSample) perCmd() float64 {
	return float64(s.execs.Microseconds()) / 1000 / float64(s.n)
}

func benchRunner(b *testing.B, cases []smoke.Test) benchSample {
	runID := NewRunID()
	defer noLeftovers(b, runID)
	start := time.Now()
	var first time.Duration
	var once sync.Once
	progress := &onLine{marker: "passed: t0", fn: func() {}}
	progress.fn = func() { once.Do(func() { first = time.Since(start) }) }
	rep, err := Run(context.Background(), Options{Docker: testDocker, Image: testImage, RunID: runID, Tests: cases, Progress: progress})
	total := time.Since(start)
	if err != nil {
		b.Fatalf("runner: %v", err)
	}
	if !rep.OK() {
		var text strings.Builder
		_ = smoke.WriteText(&text, rep, false)
		b.Fatalf("runner: tests failed:\n%s", text.String())
	}
	var execs time.Duration
	for _, r := range rep.Results {
		execs += r.Duration
	}
	once.Do(func() { first = total })
	return benchSample{execs: execs, first: first, total: total, n: len(cases)}
}

func benchCLI(b *testing.B, n int) benchSample {
	name := "macabox-bench-" + NewRunID()
	docker := func(args ...string) {
		if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
			b.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	defer func() { _ = exec.Command("docker", "rm", "-f", name).Run() }()
	start := time.Now()
	docker("run", "-d", "--init", "--name", name, "--entrypoint", "/bin/sh", testImage, "-c", smoke.KeepAliveScript)
	var first, execs time.Duration
	for i := range n {
		t := time.Now()
		docker("exec", name, "/bin/sh", "-c", "true")
		execs += time.Since(t)
		if i == 0 {
			first = time.Since(start)
		}
	}
	docker("rm", "-f", name)
	return benchSample{execs: execs, first: first, total: time.Since(start), n: n}
}
