package runner

import (
	"context"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// What a compare or bench test needs beyond a command test's run: the
// repetitions, the captured file, and the platform the figures belong to.

// bench runs a bench test's command its warm-up and measured times, each
// timed by the wall clock, and stops at the first run that fails: the
// verdict names it and the rest would measure nothing.
func (r *run) bench(ctx context.Context, t smoke.Test, marker string, deadline time.Time) (smoke.Observation, error) {
	var obs smoke.Observation
	want := smoke.WantExit(t.Expect)
	total := t.Bench.Warmup + t.Bench.Repeat
	for i := range total {
		warmup := i < t.Bench.Warmup
		if warmup {
			r.say("  run %d of %d (warm-up)", i+1, total)
		} else {
			r.say("  run %d of %d", i+1, total)
		}
		start := time.Now()
		out, err := r.box.exec(ctx, execRequest{
			cmd: []string{"/bin/sh", "-c", t.Run}, env: smoke.TestEnv(t), marker: marker, deadline: deadline,
		})
		if err != nil {
			return smoke.Observation{}, err
		}
		obs.Runs = append(obs.Runs, smoke.BenchRun{Output: *out.output(), Duration: time.Since(start), Warmup: warmup})
		obs.Command, obs.TimedOut = out.output(), out.killed
		if out.killed || out.exit != want {
			break
		}
	}
	return obs, nil
}

// capture reads the file a compare test compares.
func (r *run) capture(ctx context.Context, obs smoke.Observation, path, marker string, deadline time.Time) (smoke.Observation, error) {
	out, err := r.box.exec(ctx, execRequest{
		cmd: []string{"/bin/sh", "-c", smoke.CatScript, "sh", path}, marker: marker, deadline: deadline,
	})
	switch {
	case err != nil:
		return obs, err
	case out.killed:
		obs.TimedOut = true
	case out.exit != 0:
		obs.Captured = &smoke.CapturedFile{Problem: path + " could not be read: " + firstLine(out.stderr)}
	default:
		obs.Captured = &smoke.CapturedFile{Text: out.stdout}
	}
	return obs, nil
}

// platformTimeout bounds the platform probe; a GPU tool that hangs must not
// hold up the tests, whose verdicts do not depend on it.
const platformTimeout = 20 * time.Second

// platform reads what the container sees of its host. It only describes
// the run, so a probe that fails leaves it empty.
func (r *run) platform(ctx context.Context) smoke.Platform {
	pctx, cancel := context.WithTimeout(ctx, platformTimeout)
	defer cancel()
	marker := r.report.RunID + ".platform."
	out, err := r.box.exec(pctx, execRequest{
		cmd: []string{"/bin/sh", "-c", smoke.PlatformScript}, marker: marker, deadline: time.Now().Add(platformTimeout - time.Second),
	})
	if err != nil || out.killed {
		return smoke.Platform{}
	}
	return smoke.ParsePlatform(out.stdout)
}
