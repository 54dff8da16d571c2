package smoke

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// serviceLogDir holds service logs inside the container.
const serviceLogDir = "/tmp/macabox-smoke"

// service starts a test's background process, waits until it is ready, runs
// the probe, reads the log, and stops the service and all it started: a
// service belongs to its test, so the next test starts from a quiet container
// and its port is free again.
func (r *run) service(ctx context.Context, c Case, seq int, deadline time.Time) (Observation, error) {
	t := c.Test
	svc := t.Service
	wait, err := ServiceTimeout(t)
	if err != nil {
		return Observation{}, err
	}
	kind, target, err := readiness(svc.Ready)
	if err != nil {
		return Observation{}, err
	}
	base := fmt.Sprintf("%s.%d.", r.report.RunID, seq)
	svcMarker, readyMarker, probeMarker := base+"svc.", base+"ready.", base+"probe."
	logPath := fmt.Sprintf("%s/%s-%d.log", serviceLogDir, r.report.RunID, seq)

	started, err := r.box.exec(ctx, execRequest{
		cmd:    []string{"/bin/sh", "-c", serviceScript, "sh", serviceLogDir, svc.Run.Value, logPath},
		env:    TestEnv(t),
		marker: svcMarker, deadline: deadline,
	})
	defer func() {
		// After a cancellation the container goes anyway; do not delay that.
		if ctx.Err() == nil {
			r.box.kill(ctx, svcMarker, "KILL", true)
		}
	}()
	if err != nil {
		return Observation{}, err
	}
	pid := strings.TrimSpace(started.stdout)
	if started.killed || started.exit != 0 || pid == "" {
		return Observation{}, fmt.Errorf("starting the service failed (exit %d): %s", started.exit, oneLine(started.stderr))
	}

	st := &ServiceState{Timeout: wait}
	obs := Observation{Service: st}
	readyBy := time.Now().Add(wait)
	if deadline.Before(readyBy) {
		readyBy = deadline
	}
	begin := time.Now()
	ready, err := r.box.exec(ctx, execRequest{
		cmd:    []string{"/bin/sh", "-c", readyScript, "sh", pid, kind, target, svcMarker},
		marker: readyMarker, deadline: readyBy,
	})
	st.Waited = time.Since(begin)
	if err != nil {
		return Observation{}, err
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
		return Observation{}, fmt.Errorf("checking readiness failed (exit %d): %s", ready.exit, oneLine(ready.stderr))
	}

	if st.Ready && t.Probe.Value != "" {
		probe, err := r.box.exec(ctx, execRequest{
			cmd: []string{"/bin/sh", "-c", t.Probe.Value}, env: TestEnv(t), marker: probeMarker, deadline: deadline,
		})
		if err != nil {
			return Observation{}, err
		}
		obs.Command = &CommandOutput{Exit: probe.exit, Stdout: probe.stdout, Stderr: probe.stderr, Killed: probe.killed}
		obs.TimedOut = probe.killed
	}
	st.Log = r.readLog(ctx, logPath)
	return obs, nil
}

// readiness turns a ready block into readyScript's arguments.
func readiness(ready *recipe.Ready) (kind, target string, err error) {
	switch {
	case ready == nil:
	case ready.HTTP.Value != "":
		return "http", ready.HTTP.Value, nil
	case ready.TCP.Value > 0 && ready.TCP.Value < 65536:
		return "tcp", strconv.Itoa(ready.TCP.Value), nil
	}
	return "", "", fmt.Errorf("service.ready needs a tcp port (1-65535) or an http URL")
}

// readLog returns the service's output, or a note on why it is missing; the
// log only ever explains a failure, so failing to read it is not one.
func (r *run) readLog(ctx context.Context, path string) string {
	lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := r.box.exec(lctx, execRequest{cmd: []string{"/bin/sh", "-c", catScript, "sh", path}})
	switch {
	case err != nil:
		return "(the service log could not be read: " + err.Error() + ")"
	case out.exit != 0:
		return "(the service log could not be read: " + oneLine(out.stderr) + ")"
	}
	return out.stdout
}
