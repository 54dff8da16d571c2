package smoke

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// This is the only file that talks to Docker. testcontainers-go starts and
// terminates the container; exec, inspect and listing go through the Docker
// client it provides, because a test needs its output streamed and kept even
// when it is killed at its timeout, which testcontainers' Exec cannot give.

// setUpTestcontainers turns Ryuk off and silences the library's banner, once
// per process and before the first call into it.
//
// Ryuk must be off: it would pull its own image (no registry is reachable on
// many MACA hosts) and, with it on, a container outlives a killed macabox
// until Ryuk notices. macabox removes its containers itself (see runner.go,
// cleanup.go). testcontainers-go offers no per-call switch: it reads its
// configuration once per process from ~/.testcontainers.properties with
// TESTCONTAINERS_* environment variables on top. Setting the environment
// variable is the narrowest of these (the properties file would change every
// program of the user), and it is checked through the library's own view of
// its configuration, so a configuration read earlier cannot slip through.
// Likewise the library prints a "Connected to docker" banner through a
// package-level logger that no option reaches, while macabox's library code
// writes only to the writers it is given.
var setUpTestcontainers = sync.OnceValue(func() error {
	if err := os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true"); err != nil {
		return fmt.Errorf("turning off testcontainers' Ryuk: %w", err)
	}
	tclog.SetDefault(tclog.NewNoopLogger())
	if !testcontainers.ReadConfig().RyukDisabled {
		return errors.New("testcontainers-go's Ryuk is still on (its configuration was read before macabox could turn it off); set TESTCONTAINERS_RYUK_DISABLED=true")
	}
	return nil
})

// dockerClient connects to the Docker engine the way testcontainers-go does
// (DOCKER_HOST, docker contexts, the default socket).
func dockerClient(ctx context.Context) (dockerAPI, error) {
	if err := setUpTestcontainers(); err != nil {
		return nil, err
	}
	// testcontainers-go looks for the Docker host once per process and keeps
	// the answer, a failure included. An interrupt during that search must not
	// become the answer for every later call, so it gets a context of its own.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), connectTimeout)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(cctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to Docker (is dockerd running and DOCKER_HOST right?): %w", err)
	}
	if err := ctx.Err(); err != nil {
		cli.Close()
		return nil, fmt.Errorf("connecting to Docker: %w", err)
	}
	return cli, nil
}

// connectTimeout bounds finding and reaching the Docker engine.
const connectTimeout = 30 * time.Second

// dockerAPI is the Docker client the rest of the package passes around
// without importing testcontainers.
type dockerAPI = *testcontainers.DockerClient

// boxSpec is everything needed to start the test container.
type boxSpec struct {
	name   string
	image  string
	pull   bool
	labels map[string]string
	cfg    ContainerConfig
}

// box is a running test container.
type box struct {
	cli  dockerAPI
	ctr  *testcontainers.DockerContainer
	id   string
	name string
	// env is the container's environment: the image's, then ContainerConfig's.
	env []string
}

// ErrImageNotFound is returned when the image is not in the local store and
// pulling was not allowed.
var ErrImageNotFound = errors.New("image not found locally")

// startBox starts the container. On error nothing it created is left running
// except what a cancelled ctx cut short; the caller removes that by label.
func startBox(ctx context.Context, cli dockerAPI, spec boxSpec) (*box, error) {
	if !spec.pull {
		if _, err := cli.ImageInspect(ctx, spec.image); err != nil {
			if cerrdefs.IsNotFound(err) {
				return nil, fmt.Errorf("%w: %s (build it with --load, or pull it first)", ErrImageNotFound, spec.image)
			}
			return nil, fmt.Errorf("inspecting image %s: %w", spec.image, err)
		}
	}
	ctr, err := testcontainers.Run(ctx, spec.image,
		testcontainers.WithLogger(tclog.NewNoopLogger()),
		testcontainers.WithName(spec.name),
		testcontainers.WithLabels(spec.labels),
		testcontainers.WithEntrypoint("/bin/sh", "-c", keepAliveScript),
		testcontainers.WithConfigModifier(func(c *container.Config) {
			c.Env = append(c.Env, spec.cfg.Env...)
		}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			applyHostConfig(hc, spec.cfg)
		}),
	)
	if err != nil {
		if ctr != nil {
			_ = removeContainer(context.WithoutCancel(ctx), cli, ctr.GetContainerID())
		}
		return nil, fmt.Errorf("starting a container of %s: %w", spec.image, explainUlimit(err, spec.cfg.Ulimits))
	}
	b := &box{cli: cli, ctr: ctr, id: ctr.GetContainerID(), name: spec.name}
	info, err := cli.ContainerInspect(ctx, b.id, client.ContainerInspectOptions{})
	if err != nil {
		return b, fmt.Errorf("inspecting the test container: %w", err)
	}
	if info.Container.State == nil || !info.Container.State.Running {
		return b, fmt.Errorf("the container of %s stopped right after it started (the image needs /bin/sh and sleep): %s",
			spec.image, b.logTail(ctx))
	}
	if info.Container.Config != nil {
		b.env = info.Container.Config.Env
	}
	return b, nil
}

// logTail is the end of the container's own output, to explain an early exit.
func (b *box) logTail(ctx context.Context) string {
	logs, err := b.cli.ContainerLogs(ctx, b.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "5"})
	if err != nil {
		return "its log could not be read: " + err.Error()
	}
	defer logs.Close()
	out := newCapture(4096)
	_, _ = stdcopy.StdCopy(out, out, logs)
	if text := strings.TrimSpace(cleanText(out.String())); text != "" {
		return strings.ReplaceAll(text, "\n", "; ")
	}
	return "it printed nothing"
}

func applyHostConfig(hc *container.HostConfig, cfg ContainerConfig) {
	// An init process reaps what tests leave behind and makes stop immediate.
	init := true
	hc.Init = &init
	for _, d := range cfg.Devices {
		perms := d.Permissions
		if perms == "" {
			perms = "rwm"
		}
		hc.Devices = append(hc.Devices, container.DeviceMapping{
			PathOnHost: d.HostPath, PathInContainer: d.ContainerPath, CgroupPermissions: perms,
		})
	}
	hc.GroupAdd = append(hc.GroupAdd, cfg.GroupAdd...)
	if cfg.ShmSize > 0 {
		hc.ShmSize = cfg.ShmSize
	}
	for _, u := range cfg.Ulimits {
		hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	hc.SecurityOpt = append(hc.SecurityOpt, cfg.SecurityOpt...)
	hc.Privileged = cfg.Privileged
	hc.Binds = append(hc.Binds, cfg.Binds...)
}

// execRequest is one process to run in the container.
type execRequest struct {
	cmd []string
	env []string
	// marker tags the process tree (see markerVar); required with deadline.
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

// killGrace is how long output may keep flowing after a kill before the
// stream is abandoned (a process that escaped the kill still holds it).
const killGrace = 5 * time.Second

// exec runs a process to completion, its deadline, or ctx's end. At the
// deadline the process tree is killed and what it printed is still returned;
// when ctx ends the stream is dropped and ctx's error returned.
func (b *box) exec(ctx context.Context, req execRequest) (execResult, error) {
	env := req.env
	if req.marker != "" {
		env = append(env[:len(env):len(env)], markerVar+"="+req.marker)
	}
	created, err := b.cli.ExecCreate(ctx, b.id, client.ExecCreateOptions{
		Cmd: req.cmd, Env: env, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return execResult{}, fmt.Errorf("creating exec: %w", err)
	}
	att, err := b.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return execResult{}, fmt.Errorf("starting exec: %w", err)
	}
	defer att.Close()

	stdout, stderr := newCapture(captureLimit), newCapture(captureLimit)
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(stdout, stderr, att.Reader)
		copied <- err
	}()

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
				att.Close()
				res.exit, res.stdout, res.stderr = -1, stdout.String(), stderr.String()
				return res, nil
			}
			res.killed = true
			b.kill(ctx, req.marker, "KILL", false)
			deadline = time.After(killGrace)
		}
	}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	res.exit, err = b.exitCode(ctx, created.ID)
	return res, err
}

// exitCode waits for Docker to record the end of an exec whose stream has
// closed; the daemon does so shortly after, not always before.
func (b *box) exitCode(ctx context.Context, execID string) (int, error) {
	pause := time.Millisecond
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := b.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return -1, fmt.Errorf("inspecting exec: %w", err)
		}
		if !info.Running {
			return info.ExitCode, nil
		}
		if time.Now().After(deadline) {
			return -1, errors.New("the exec's output ended but Docker still reports it running")
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
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
	_, _ = b.exec(kctx, execRequest{cmd: []string{"/bin/sh", "-c", killScript, "sh", marker, signal, mode}})
}

// running reports whether the container is still up.
func (b *box) running(ctx context.Context) bool {
	info, err := b.cli.ContainerInspect(ctx, b.id, client.ContainerInspectOptions{})
	return err == nil && info.Container.State != nil && info.Container.State.Running
}

// terminate removes the container through testcontainers (stop without
// grace, then remove with its volumes).
func (b *box) terminate(ctx context.Context) error {
	err := b.ctr.Terminate(ctx, testcontainers.StopTimeout(0))
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("removing container %s: %w", b.name, err)
	}
	return nil
}

func removeContainer(ctx context.Context, cli dockerAPI, id string) error {
	_, err := cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil, cerrdefs.IsNotFound(err):
		return nil
	case cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress"):
		// The container's own removal is still running (the listing that
		// found it raced with it): wait for it to finish instead of failing.
		return waitGone(ctx, cli, id)
	}
	return err
}

// waitGone polls until the container no longer exists.
func waitGone(ctx context.Context, cli dockerAPI, id string) error {
	for {
		if _, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); cerrdefs.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for container %s to be removed: %w", id, context.Cause(ctx))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// labelled lists the containers, running or not, that carry all the labels.
func labelled(ctx context.Context, cli dockerAPI, labels map[string]string) ([]container.Summary, error) {
	f := make(client.Filters)
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	return list.Items, nil
}
