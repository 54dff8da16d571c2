package smoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Runner runs the smoke tests of one target. Docker is the implementation
// here; the interface leaves room for others (a Kubernetes pod, say).
type Runner interface {
	// Run starts one container, runs every case in it in order, removes it,
	// and reports. The error is for a run that could not be done at all or
	// was interrupted; failed tests are in the report (Report.OK).
	Run(ctx context.Context, opts Options) (*Report, error)
}

// Docker runs smoke tests in a container of the local Docker engine.
type Docker struct{}

// Run implements Runner.
func (Docker) Run(ctx context.Context, opts Options) (*Report, error) { return Run(ctx, opts) }

// removeTimeout bounds the removal of the container after the run, which
// runs on a context of its own so that a cancelled run still cleans up.
const removeTimeout = 30 * time.Second

// Run runs opts.Cases in one container of opts.Image through Docker.
//
// The container is removed when Run returns: after success, failures,
// timeouts, and when ctx is cancelled (the caller's context ends on SIGINT
// and SIGTERM). Only Keep, on a run that was not interrupted, leaves it.
// The report is returned even with an error, with what ran so far.
func Run(ctx context.Context, opts Options) (rep *Report, err error) {
	if opts.Image == "" {
		return nil, errors.New("no image to test")
	}
	r := newRun(opts)
	rep = r.report
	cli, err := dockerClient(ctx)
	if err != nil {
		rep.Incomplete = "Docker is not reachable"
		if ctx.Err() != nil {
			rep.Incomplete = "interrupted before the tests started"
		}
		return rep, err
	}
	defer cli.Close()

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
	err = r.all(ctx)
	return rep, err
}

// run is the state of one Run.
type run struct {
	opts     Options
	report   *Report
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
	r.report = &Report{
		Target: target, Image: opts.Image, Simulated: opts.Simulated, RunID: runID, Started: r.now(),
		Device: DeviceStatus{Available: opts.HasDevice, Reason: opts.NoDeviceReason, Required: opts.RequireDevice},
	}
	if opts.HasDevice {
		r.report.Device.Reason = ""
	}
	return r
}

func (r *run) say(format string, args ...any) {
	fmt.Fprintf(r.progress, "smoke: "+format+"\n", args...)
}

// all runs the cases in order and stops early only when ctx ends.
func (r *run) all(ctx context.Context) error {
	n := len(r.opts.Cases)
	for i, c := range r.opts.Cases {
		if err := ctx.Err(); err != nil {
			r.report.Incomplete = fmt.Sprintf("interrupted after %d of %d tests", i, n)
			return fmt.Errorf("smoke tests of %s interrupted: %w", r.report.Target, err)
		}
		r.say("[%d/%d] %s", i+1, n, c.Test.Name.Value)
		res, err := r.one(ctx, c, i+1)
		if err != nil {
			r.report.Incomplete = fmt.Sprintf("interrupted during test %d of %d (%s)", i+1, n, c.Test.Name.Value)
			return fmt.Errorf("smoke tests of %s interrupted: %w", r.report.Target, err)
		}
		r.report.Results = append(r.report.Results, res)
		r.say("[%d/%d] %s: %s (%s)", i+1, n, res.Status, res.Name, roundDuration(res.Duration))
	}
	return nil
}

// one runs one case. Its error is only ever ctx's: everything else that goes
// wrong is the test's result.
func (r *run) one(ctx context.Context, c Case, seq int) (Result, error) {
	t := c.Test
	if v, ok := DeviceGate(t, r.opts.HasDevice, r.opts.NoDeviceReason, r.opts.RequireDevice); !ok {
		return gatedResult(c, v), nil
	}
	start := r.now()
	timeout, err := TestTimeout(t)
	if err == nil {
		var obs Observation
		obs, err = r.observe(ctx, c, seq, start.Add(timeout))
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		if err == nil {
			obs.Timeout = timeout
			return NewResult(c, obs, Evaluate(t, obs), r.now().Sub(start)), nil
		}
	}
	if !r.box.running(ctx) {
		err = fmt.Errorf("%w (the test container is no longer running)", err)
	}
	v := Verdict{Status: StatusError, Message: err.Error(), Problems: []string{err.Error()}}
	return NewResult(c, Observation{}, v, r.now().Sub(start)), nil
}

// observe runs the test and gathers what its kind needs judged.
func (r *run) observe(ctx context.Context, c Case, seq int, deadline time.Time) (Observation, error) {
	t := c.Test
	marker := fmt.Sprintf("%s.%d.", r.report.RunID, seq)
	switch KindOf(t) {
	case KindCommand:
		return r.command(ctx, c, marker, deadline)
	case KindFile:
		return r.file(ctx, c, marker, deadline)
	case KindVariable:
		return Observation{Variable: lookupEnv(t.Variable.Value, r.box.env, TestEnv(t))}, nil
	case KindService:
		return r.service(ctx, c, seq, deadline)
	}
	return Observation{}, nil // Evaluate reports the missing kind
}

func (r *run) command(ctx context.Context, c Case, marker string, deadline time.Time) (Observation, error) {
	t := c.Test
	out, err := r.box.exec(ctx, execRequest{
		cmd: []string{"/bin/sh", "-c", t.Run.Value}, env: TestEnv(t), marker: marker, deadline: deadline,
	})
	if err != nil {
		return Observation{}, err
	}
	obs := Observation{
		TimedOut: out.killed,
		Command:  &CommandOutput{Exit: out.exit, Stdout: out.stdout, Stderr: out.stderr, Killed: out.killed},
	}
	if out.killed || t.Expect == nil || len(t.Expect.Files) == 0 {
		return obs, nil
	}
	paths := make([]string, len(t.Expect.Files))
	for i, f := range t.Expect.Files {
		paths[i] = f.Value
	}
	obs.Files, err = r.stat(ctx, paths, marker, deadline)
	if errors.Is(err, errTimedOut) {
		obs.TimedOut, err = true, nil
	}
	return obs, err
}

// errTimedOut is a helper step stopped at the test's deadline; the test is
// then judged as timed out.
var errTimedOut = errors.New("timed out")

func (r *run) file(ctx context.Context, c Case, marker string, deadline time.Time) (Observation, error) {
	t := c.Test
	files, err := r.stat(ctx, []string{t.File.Value}, marker, deadline)
	if errors.Is(err, errTimedOut) {
		return Observation{TimedOut: true}, nil
	}
	if err != nil {
		return Observation{}, err
	}
	f := &files[0]
	if t.Expect != nil && t.Expect.Content.Value != "" && f.Exists && f.Type != "dir" {
		out, err := r.box.exec(ctx, execRequest{
			cmd: []string{"/bin/sh", "-c", catScript, "sh", f.Path}, marker: marker, deadline: deadline,
		})
		if err != nil {
			return Observation{}, err
		}
		f.Content, f.ContentRead = out.stdout, out.exit == 0 && !out.killed
		if out.killed {
			return Observation{Files: files, TimedOut: true}, nil
		}
	}
	return Observation{Files: files}, nil
}

// stat examines paths inside the container.
func (r *run) stat(ctx context.Context, paths []string, marker string, deadline time.Time) ([]FileState, error) {
	cmd := append([]string{"/bin/sh", "-c", statScript, "sh"}, paths...)
	out, err := r.box.exec(ctx, execRequest{cmd: cmd, marker: marker, deadline: deadline})
	if err != nil {
		return nil, err
	}
	if out.killed {
		return nil, errTimedOut
	}
	if out.exit != 0 {
		return nil, fmt.Errorf("examining %v failed (exit %d): %s", paths, out.exit, oneLine(out.stderr))
	}
	return parseStat(paths, out.stdout)
}

// lookupEnv finds a variable as a process started for the test sees it: the
// container's environment with the test's on top.
func lookupEnv(name string, layers ...[]string) *VariableState {
	v := &VariableState{Name: name}
	for _, env := range layers {
		for _, kv := range env {
			if k, val, ok := strings.Cut(kv, "="); ok && k == name {
				v.Set, v.Value = true, val
			}
		}
	}
	return v
}

// remove removes the container and, as a backstop, anything else labelled
// with this run (a container whose creation a cancellation cut short).
func (r *run) remove(ctx context.Context, cli dockerAPI, b *box) error {
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
