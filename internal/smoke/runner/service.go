package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// service starts a test's background process, waits until it is ready, runs
// the probe, reads the log, and stops the service and all it started: a
// service belongs to its test, so the next test starts from a quiet container
// and its port is free again.
func (r *run) service(ctx context.Context, t smoke.Test, seq int, deadline time.Time) (smoke.Observation, error) {
	svc := t.Service
	wait, err := smoke.ServiceTimeout(t)
	if err != nil {
		return smoke.Observation{}, err
	}
	kind, target, err := smoke.Readiness(svc)
	if err != nil {
		return smoke.Observation{}, err
	}
	base := fmt.Sprintf("%s.%d.", r.report.RunID, seq)
	svcMarker, readyMarker, probeMarker := base+"svc.", base+"ready.", base+"probe."
	logPath := fmt.Sprintf("%s/%s-%d.log", smoke.ServiceLogDir, r.report.RunID, seq)

	started, err := r.box.exec(ctx, execRequest{
		cmd:    []string{"/bin/sh", "-c", smoke.ServiceScript, "sh", smoke.ServiceLogDir, svc.Run, logPath},
		env:    smoke.TestEnv(t),
		marker: svcMarker, deadline: deadline,
	})
	defer func() {
		// After a cancellation the container goes anyway; do not delay that.
		if ctx.Err() == nil {
			r.box.kill(ctx, svcMarker, "KILL", true)
		}
	}()
	if err != nil {
		return smoke.Observation{}, err
	}
	pid := strings.TrimSpace(started.stdout)
	if started.killed || started.exit != 0 || pid == "" {
		return smoke.Observation{}, fmt.Errorf("starting the service failed (exit %d): %s", started.exit, firstLine(started.stderr))
	}

	st := &smoke.ServiceState{Timeout: wait}
	obs := smoke.Observation{Service: st}
	readyBy := time.Now().Add(wait)
	if deadline.Before(readyBy) {
		readyBy = deadline
	}
	begin := time.Now()
	ready, err := r.box.exec(ctx, execRequest{
		cmd:    []string{"/bin/sh", "-c", smoke.ReadyScript, "sh", pid, kind, target, svcMarker},
		marker: readyMarker, deadline: readyBy,
	})
	st.Waited = time.Since(begin)
	if err != nil {
		return smoke.Observation{}, err
	}
	switch {
	case ready.killed:
		obs.TimedOut = readyBy.Equal(deadline)
	case ready.exit == 0:
		st.Ready = true
	case ready.exit == 3:
		st.Exited = true
	case ready.exit == 4:
		st.ProbeProblem = strings.TrimSpace(ready.stderr)
	default:
		return smoke.Observation{}, fmt.Errorf("checking readiness failed (exit %d): %s", ready.exit, firstLine(ready.stderr))
	}

	if st.Ready && t.Probe != "" {
		probe, err := r.box.exec(ctx, execRequest{
			cmd: []string{"/bin/sh", "-c", t.Probe}, env: smoke.TestEnv(t), marker: probeMarker, deadline: deadline,
		})
		if err != nil {
			return smoke.Observation{}, err
		}
		obs.Command = &smoke.CommandOutput{Exit: probe.exit, Stdout: probe.stdout, Stderr: probe.stderr, Killed: probe.killed}
		obs.TimedOut = probe.killed
	}
	st.Log = r.readLog(ctx, logPath)
	return obs, nil
}

// readLog returns the service's output, or a note on why it is missing; the
// log only ever explains a failure, so failing to read it is not one.
func (r *run) readLog(ctx context.Context, path string) string {
	lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := r.box.exec(lctx, execRequest{cmd: []string{"/bin/sh", "-c", smoke.CatScript, "sh", path}})
	switch {
	case err != nil:
		return "(the service log could not be read: " + err.Error() + ")"
	case out.exit != 0:
		return "(the service log could not be read: " + firstLine(out.stderr) + ")"
	}
	return out.stdout
}
