package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// testcontainers-go starts and terminates the container; exec, inspect and
// listing go through macabox's own Docker client, because a test needs its
// output streamed and kept even when it is killed at its timeout, which
// testcontainers' Exec cannot give.

// tcSetup is testcontainers-go's once-per-process configuration: the
// endpoint it was pointed at, and the error of doing so.
var tcSetup struct {
	sync.Mutex
	host string
	err  error
}

// setUpTestcontainers points testcontainers-go at ep, turns Ryuk off and
// silences the library's banner, once per process and before the first call
// into it; it then checks that the library did take ep.
//
// The library offers no per-call switch for any of these: it reads its
// configuration once per process from ~/.testcontainers.properties with
// TESTCONTAINERS_* and DOCKER_* environment variables on top, and on its own
// would fall back from an unreachable DOCKER_HOST to the local socket. So
// the process environment is set to the one endpoint macabox resolved (the
// narrowest of the choices: the properties file would change every program
// of the user), and the endpoint the library then uses is compared with it.
// Ryuk must be off: it would pull its own image (no registry is reachable on
// many MACA hosts), and macabox removes its containers itself (runner.go,
// cleanup.go).
func setUpTestcontainers(ctx context.Context, ep docker.Endpoint) error {
	tcSetup.Lock()
	defer tcSetup.Unlock()
	if tcSetup.host != "" {
		if tcSetup.host != ep.Host {
			return fmt.Errorf("testcontainers-go already uses Docker at %s in this process, not %s", tcSetup.host, ep.Host)
		}
		return tcSetup.err
	}
	tcSetup.host = ep.Host
	tcSetup.err = pointTestcontainers(ctx, ep)
	return tcSetup.err
}

func pointTestcontainers(ctx context.Context, ep docker.Endpoint) error {
	env := ep.Environ()
	env["TESTCONTAINERS_RYUK_DISABLED"] = "true"
	for _, k := range []string{docker.EnvTLSVerify, docker.EnvCertPath} {
		if _, ok := env[k]; !ok {
			env[k] = ""
		}
	}
	for k, v := range env {
		var err error
		if v == "" {
			err = os.Unsetenv(k)
		} else {
			err = os.Setenv(k, v)
		}
		if err != nil {
			return fmt.Errorf("configuring testcontainers-go: %w", err)
		}
	}
	tclog.SetDefault(tclog.NewNoopLogger())
	if !testcontainers.ReadConfig().RyukDisabled {
		return errors.New("testcontainers-go's Ryuk is still on (its configuration was read before macabox could turn it off); set TESTCONTAINERS_RYUK_DISABLED=true")
	}
	// testcontainers-go looks for the Docker host once per process and keeps
	// the answer, a failure included. An interrupt during that search must
	// not become the answer for every later call, so it gets a context of
	// its own.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), connectTimeout)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(cctx)
	if err != nil {
		return fmt.Errorf("testcontainers-go cannot reach Docker at %s: %w", ep, err)
	}
	defer cli.Close()
	if got := cli.DaemonHost(); got != ep.Host {
		return fmt.Errorf("testcontainers-go chose Docker at %s instead of %s (a tc.host in ~/.testcontainers.properties?); macabox runs tests only on the engine it resolved", got, ep)
	}
	return nil
}

// connectTimeout bounds finding and reaching the Docker engine.
const connectTimeout = 30 * time.Second

// boxSpec is everything needed to start the test container.
type boxSpec struct {
	name   string
	image  string
	pull   bool
	labels map[string]string
	cfg    docker.ContainerSpec
}

// box is a running test container.
type box struct {
	cli  *docker.Client
	ctr  *testcontainers.DockerContainer
	id   string
	name string
	// env is the container's environment: the image's, then the spec's.
	env []string
	// image is what the container runs.
	image docker.Image
}

// ErrImageNotFound is returned when the image is not in the local store and
// pulling was not allowed.
var ErrImageNotFound = errors.New("image not found locally")

// startBox starts the container. On error nothing it created is left running
// except what a cancelled ctx cut short; the caller removes that by label.
func startBox(ctx context.Context, cli *docker.Client, spec boxSpec) (*box, error) {
	if !spec.pull {
		if _, err := cli.Image(ctx, spec.image); err != nil {
			if errors.Is(err, docker.ErrNotFound) {
				return nil, fmt.Errorf("%w: %s (build it with --load, or pull it first)", ErrImageNotFound, spec.image)
			}
			return nil, fmt.Errorf("inspecting image %s: %w", spec.image, err)
		}
	}
	ctr, err := testcontainers.Run(ctx, spec.image,
		testcontainers.WithLogger(tclog.NewNoopLogger()),
		testcontainers.WithName(spec.name),
		testcontainers.WithLabels(spec.labels),
		testcontainers.WithEntrypoint("/bin/sh", "-c", smoke.KeepAliveScript),
		testcontainers.WithConfigModifier(spec.cfg.ConfigModifier()),
		testcontainers.WithHostConfigModifier(spec.cfg.HostConfigModifier()),
	)
	if err != nil {
		if ctr != nil {
			_ = cli.Remove(context.WithoutCancel(ctx), ctr.GetContainerID())
		}
		return nil, fmt.Errorf("starting a container of %s: %w", spec.image, err)
	}
	b := &box{cli: cli, ctr: ctr, id: ctr.GetContainerID(), name: spec.name}
	st, err := cli.Container(ctx, b.id)
	if err != nil {
		return b, fmt.Errorf("inspecting the test container: %w", err)
	}
	if !st.Running {
		return b, fmt.Errorf("the container of %s stopped right after it started (the image needs /bin/sh and sleep): %s",
			spec.image, b.logTail(ctx))
	}
	b.env = st.Env
	if b.image, err = cli.Image(ctx, st.Image); err != nil {
		return b, fmt.Errorf("inspecting the image of the test container: %w", err)
	}
	return b, nil
}

// logTail is the end of the container's own output, to explain an early exit.
func (b *box) logTail(ctx context.Context) string {
	out, err := b.cli.LogTail(ctx, b.id, 5, 4096)
	if err != nil {
		return "its log could not be read: " + err.Error()
	}
	if text := strings.TrimSpace(smoke.TailOf(out).Text); text != "" {
		return strings.ReplaceAll(text, "\n", "; ")
	}
	return "it printed nothing"
}

// execRequest is one process to run in the container.
type execRequest struct {
	cmd []string
	env []string
	// marker tags the process tree (see smoke.MarkerVar); required with deadline.
	marker string
	// deadline, when set, is when the process tree is killed.
	deadline time.Time
}

// execResult is how a process ended.
type execResult struct {
	exit           int
	stdout, stderr string
	// killed is set when the deadline passed and the process tree was killed.
	killed bool
}

// output is how the process ended, as the smoke package reads it.
func (x execResult) output() *smoke.CommandOutput {
	return &smoke.CommandOutput{Exit: x.exit, Stdout: x.stdout, Stderr: x.stderr, Killed: x.killed}
}

// killGrace is how long output may keep flowing after a kill before the
// stream is abandoned (a process that escaped the kill still holds it).
const killGrace = 5 * time.Second

// exec runs a process to completion, its deadline, or ctx's end. At the
// deadline the process tree is killed and what it printed is still returned;
// when ctx ends the stream is dropped and ctx's error returned.
func (b *box) exec(ctx context.Context, req execRequest) (execResult, error) {
	env := req.env
	if req.marker != "" {
		env = append(env[:len(env):len(env)], smoke.MarkerVar+"="+req.marker)
	}
	x, err := b.cli.StartExec(ctx, b.id, req.cmd, env)
	if err != nil {
		return execResult{}, err
	}
	defer x.Close()

	stdout, stderr := newCapture(captureLimit), newCapture(captureLimit)
	copied := make(chan error, 1)
	go func() { copied <- x.Copy(stdout, stderr) }()

	var res execResult
	var deadline <-chan time.Time
	if !req.deadline.IsZero() {
		t := time.NewTimer(time.Until(req.deadline))
		defer t.Stop()
		deadline = t.C
	}
wait:
	for {
		select {
		case err := <-copied:
			if err != nil && !res.killed {
				return res, fmt.Errorf("reading exec output: %w", err)
			}
			break wait
		case <-ctx.Done():
			return res, ctx.Err()
		case <-deadline:
			if res.killed {
				// Something escaped the kill and still holds the stream.
				x.Close()
				res.exit, res.stdout, res.stderr = -1, stdout.String(), stderr.String()
				return res, nil
			}
			res.killed = true
			b.kill(ctx, req.marker, "KILL", false)
			deadline = time.After(killGrace)
		}
	}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	res.exit, err = x.ExitCode(ctx)
	return res, err
}

// kill signals the process tree tagged with marker. It uses its own context so
// that it still runs when the test's context has ended.
func (b *box) kill(ctx context.Context, marker, signal string, grace bool) {
	if marker == "" {
		return
	}
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	mode := ""
	if grace {
		mode = "grace"
	}
	_, _ = b.exec(kctx, execRequest{cmd: []string{"/bin/sh", "-c", smoke.KillScript, "sh", marker, signal, mode}})
}

// running reports whether the container is still up.
func (b *box) running(ctx context.Context) bool {
	st, err := b.cli.Container(ctx, b.id)
	return err == nil && st.Running
}

// terminate removes the container through testcontainers (stop without
// grace, then remove with its volumes).
func (b *box) terminate(ctx context.Context) error {
	err := b.ctr.Terminate(ctx, testcontainers.StopTimeout(0))
	if err != nil && !b.gone(ctx) {
		return fmt.Errorf("removing container %s: %w", b.name, err)
	}
	return nil
}

// gone reports whether the container no longer exists.
func (b *box) gone(ctx context.Context) bool {
	_, err := b.cli.Container(ctx, b.id)
	return errors.Is(err, docker.ErrNotFound)
}
