// Package runner runs a target's smoke tests inside one container of its
// image on a Docker engine: testcontainers-go starts and removes the
// container, every test runs in it through exec in the order given, and the
// judgement of what was seen is the smoke package's. The bundle's smoke.sh
// (package smokesh) is the other runner of the same tests; the two are
// tested against each other.
//
// The container is removed when Run returns, whatever happens, and labels
// let Cleanup find the containers of a macabox that was killed.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// removeTimeout bounds the removal of the container after the run, which
// runs on a context of its own so that a cancelled run still cleans up.
const removeTimeout = 30 * time.Second

// Run runs opts.Tests in one container of opts.Image through Docker.
//
// The container is removed when Run returns: after success, failures,
// timeouts, and when ctx is cancelled (the caller's context ends on SIGINT
// and SIGTERM). Only Keep, on a run that was not interrupted, leaves it.
// The report is returned even with an error, with what ran so far.
func Run(ctx context.Context, opts Options) (rep *smoke.Report, err error) {
	if opts.Image == "" {
		return nil, errors.New("no image to test")
	}
	if opts.Docker == nil {
		return nil, errors.New("no Docker engine to run the tests on")
	}
	r := newRun(opts)
	rep = r.report
	cli := opts.Docker
	if err := cli.Ping(ctx); err != nil {
		rep.Incomplete = "Docker is not reachable"
		if ctx.Err() != nil {
			rep.Incomplete = "interrupted before the tests started"
		}
		return rep, err
	}
	if err := setUpTestcontainers(ctx, cli.Endpoint()); err != nil {
		rep.Incomplete = "Docker is not reachable through testcontainers-go"
		return rep, err
	}

	name := containerName(rep.Target, rep.RunID)
	r.say("starting %s from %s", name, opts.Image)
	b, err := startBox(ctx, cli, boxSpec{
		name: name, image: opts.Image, pull: opts.Pull,
		labels: runLabels(rep.RunID, rep.Target, opts.Container.Labels), cfg: opts.Container,
	})
	defer func() {
		rep.Duration = r.now().Sub(rep.Started)
		if opts.Keep && b != nil && err == nil && ctx.Err() == nil {
			rep.Container = name
			return
		}
		if cerr := r.remove(ctx, cli, b); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	if err != nil {
		rep.Incomplete = "the test container did not start"
		return rep, err
	}
	r.box = b
	rep.ImageID, rep.RepoDigests = b.image.ID, b.image.RepoDigests
	rep.Platform = r.platform(ctx)
	err = r.all(ctx)
	return rep, err
}

// run is the state of one Run.
type run struct {
	opts     Options
	report   *smoke.Report
	box      *box
	progress io.Writer
	now      func() time.Time
}

func newRun(opts Options) *run {
	r := &run{opts: opts, progress: opts.Progress, now: opts.Now}
	if r.progress == nil {
		r.progress = io.Discard
	}
	if r.now == nil {
		r.now = time.Now
	}
	target := opts.Target
	if target == "" {
		target = opts.Image
	}
	runID := opts.RunID
	if runID == "" {
		runID = NewRunID()
	}
	r.report = &smoke.Report{
		Target: target, Image: opts.Image, Simulated: opts.Simulated, RunID: runID, Started: r.now(),
		Device: smoke.DeviceStatus{Available: opts.HasDevice, Reason: opts.NoDeviceReason, Required: opts.RequireDevice},
	}
	if opts.HasDevice {
		r.report.Device.Reason = ""
	}
	return r
}

func (r *run) say(format string, args ...any) {
	fmt.Fprintf(r.progress, "smoke: "+format+"\n", args...)
}

// all runs the tests in order and stops early only when ctx ends.
func (r *run) all(ctx context.Context) error {
	n := len(r.opts.Tests)
	for i, t := range r.opts.Tests {
		if err := ctx.Err(); err != nil {
			r.report.Incomplete = fmt.Sprintf("interrupted after %d of %d tests", i, n)
			return fmt.Errorf("smoke tests of %s interrupted: %w", r.report.Target, err)
		}
		r.say("[%d/%d] %s", i+1, n, t.Name)
		res, err := r.one(ctx, t, i+1)
		if err != nil {
			r.report.Incomplete = fmt.Sprintf("interrupted during test %d of %d (%s)", i+1, n, t.Name)
			return fmt.Errorf("smoke tests of %s interrupted: %w", r.report.Target, err)
		}
		r.report.Results = append(r.report.Results, res)
		r.say("[%d/%d] %s: %s (%s)", i+1, n, res.Status, res.Name, smoke.RoundDuration(res.Duration))
	}
	return nil
}

// one runs one test. Its error is only ever ctx's: everything else that goes
// wrong is the test's result.
func (r *run) one(ctx context.Context, t smoke.Test, seq int) (smoke.Result, error) {
	if v, ok := smoke.DeviceGate(t, r.opts.HasDevice, r.opts.NoDeviceReason, r.opts.RequireDevice); !ok {
		return smoke.NewResult(t, smoke.Observation{}, v, 0), nil
	}
	start := r.now()
	timeout, err := smoke.TestTimeout(t)
	if err == nil {
		var obs smoke.Observation
		obs, err = r.observe(ctx, t, seq, start.Add(timeout))
		if ctx.Err() != nil {
			return smoke.Result{}, ctx.Err()
		}
		if err == nil {
			obs.Timeout = timeout
			return smoke.NewResult(t, obs, smoke.Evaluate(t, obs), r.now().Sub(start)), nil
		}
	}
	if !r.box.running(ctx) {
		err = fmt.Errorf("%w (the test container is no longer running)", err)
	}
	v := smoke.Verdict{Status: smoke.StatusError, Message: err.Error(), Problems: []string{err.Error()}}
	return smoke.NewResult(t, smoke.Observation{}, v, r.now().Sub(start)), nil
}

// observe runs the test and gathers what its kind needs judged.
func (r *run) observe(ctx context.Context, t smoke.Test, seq int, deadline time.Time) (smoke.Observation, error) {
	marker := fmt.Sprintf("%s.%d.", r.report.RunID, seq)
	switch smoke.KindOf(t) {
	case smoke.KindCommand:
		return r.command(ctx, t, marker, deadline)
	case smoke.KindFile:
		return r.file(ctx, t, marker, deadline)
	case smoke.KindVariable:
		return smoke.Observation{Variable: lookupEnv(t.Variable, r.box.env, smoke.TestEnv(t))}, nil
	case smoke.KindService:
		return r.service(ctx, t, seq, deadline)
	}
	return smoke.Observation{}, nil // Evaluate reports the missing kind
}

func (r *run) command(ctx context.Context, t smoke.Test, marker string, deadline time.Time) (smoke.Observation, error) {
	var obs smoke.Observation
	var err error
	if t.Bench != nil {
		obs, err = r.bench(ctx, t, marker, deadline)
	} else {
		obs, err = r.once(ctx, t, marker, deadline)
	}
	if err != nil || obs.TimedOut {
		return obs, err
	}
	if t.Expect != nil && len(t.Expect.Files) > 0 {
		obs.Files, err = r.stat(ctx, t.Expect.Files, marker, deadline)
		if errors.Is(err, errTimedOut) {
			return smoke.Observation{Command: obs.Command, Runs: obs.Runs, TimedOut: true}, nil
		}
		if err != nil {
			return obs, err
		}
	}
	if t.Compare != nil && t.Compare.File != "" {
		return r.capture(ctx, obs, t.Compare.File, marker, deadline)
	}
	return obs, nil
}

// once runs a command test's command.
func (r *run) once(ctx context.Context, t smoke.Test, marker string, deadline time.Time) (smoke.Observation, error) {
	out, err := r.box.exec(ctx, execRequest{
		cmd: []string{"/bin/sh", "-c", t.Run}, env: smoke.TestEnv(t), marker: marker, deadline: deadline,
	})
	if err != nil {
		return smoke.Observation{}, err
	}
	return smoke.Observation{TimedOut: out.killed, Command: out.output()}, nil
}

// errTimedOut is a helper step stopped at the test's deadline; the test is
// then judged as timed out.
var errTimedOut = errors.New("timed out")

func (r *run) file(ctx context.Context, t smoke.Test, marker string, deadline time.Time) (smoke.Observation, error) {
	files, err := r.stat(ctx, []string{t.File}, marker, deadline)
	if errors.Is(err, errTimedOut) {
		return smoke.Observation{TimedOut: true}, nil
	}
	if err != nil {
		return smoke.Observation{}, err
	}
	f := &files[0]
	if t.Expect != nil && t.Expect.Content != "" && f.Exists && f.Type != "dir" {
		out, err := r.box.exec(ctx, execRequest{
			cmd: []string{"/bin/sh", "-c", smoke.CatScript, "sh", f.Path}, marker: marker, deadline: deadline,
		})
		if err != nil {
			return smoke.Observation{}, err
		}
		f.Content, f.ContentRead = out.stdout, out.exit == 0 && !out.killed
		if out.killed {
			return smoke.Observation{Files: files, TimedOut: true}, nil
		}
	}
	return smoke.Observation{Files: files}, nil
}

// stat examines paths inside the container.
func (r *run) stat(ctx context.Context, paths []string, marker string, deadline time.Time) ([]smoke.FileState, error) {
	cmd := append([]string{"/bin/sh", "-c", smoke.StatScript, "sh"}, paths...)
	out, err := r.box.exec(ctx, execRequest{cmd: cmd, marker: marker, deadline: deadline})
	if err != nil {
		return nil, err
	}
	if out.killed {
		return nil, errTimedOut
	}
	if out.exit != 0 {
		return nil, fmt.Errorf("examining %v failed (exit %d): %s", paths, out.exit, firstLine(out.stderr))
	}
	return parseStat(paths, out.stdout)
}

// lookupEnv finds a variable as a process started for the test sees it: the
// container's environment with the test's on top.
func lookupEnv(name string, layers ...[]string) *smoke.VariableState {
	v := &smoke.VariableState{Name: name}
	for _, env := range layers {
		for _, kv := range env {
			if k, val, ok := strings.Cut(kv, "="); ok && k == name {
				v.Set, v.Value = true, val
			}
		}
	}
	return v
}

// firstLine squeezes a message into one line for an error.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// remove removes the container and, as a backstop, anything else labelled
// with this run (a container whose creation a cancellation cut short).
func (r *run) remove(ctx context.Context, cli *docker.Client, b *box) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	defer cancel()
	var errs []error
	if b != nil {
		errs = append(errs, b.terminate(rctx))
	}
	if _, err := cleanupWith(rctx, cli, r.report.RunID); err != nil {
		errs = append(errs, err)
	}
	if b == nil && ctx.Err() != nil {
		// A create cut short by cancellation may still be completing in the
		// daemon; look once more after it had time to.
		time.Sleep(time.Second)
		if _, err := cleanupWith(rctx, cli, r.report.RunID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
