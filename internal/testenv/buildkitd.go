package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/testenv/buildkitd"
	"github.com/ccf-ai-infra/macabox/internal/testenv/daemon"
)

// Buildkitd is a buildkitd started by StartBuildkitd for one test.
type Buildkitd struct {
	// Addr is the daemon's address, unix://<Dir>/buildkitd.sock.
	Addr string
	// Root is its state directory; it starts empty, so nothing is cached.
	Root string
	// Dir holds Root, the socket, the config and the log; it is removed
	// when the test ends.
	Dir string
	// LogFile collects the daemon's stdout and stderr.
	LogFile string

	cmd    *exec.Cmd
	exited chan struct{}
	stop   sync.Once
	err    error
}

type buildkitdOptions struct {
	config  string
	args    []string
	timeout time.Duration
}

// BuildkitdOption adjusts StartBuildkitd.
type BuildkitdOption func(*buildkitdOptions)

// WithBuildkitdConfig replaces the daemon's buildkitd.toml.
func WithBuildkitdConfig(toml string) BuildkitdOption {
	return func(o *buildkitdOptions) { o.config = toml }
}

// WithBuildkitdArgs appends command-line flags.
func WithBuildkitdArgs(args ...string) BuildkitdOption {
	return func(o *buildkitdOptions) { o.args = append(o.args, args...) }
}

// WithStartTimeout bounds how long StartBuildkitd waits for the daemon to
// answer (default one minute).
func WithStartTimeout(d time.Duration) BuildkitdOption {
	return func(o *buildkitdOptions) { o.timeout = d }
}

// StartBuildkitd starts a fresh buildkitd (the pinned MACABOX_TEST_BUILDKITD)
// with an empty root and its own socket, for tests that must not share a
// cache with anything, such as reproducibility checks. The daemon is stopped
// and its directory removed when the test ends, also when it fails.
func StartBuildkitd(t testing.TB, opts ...BuildkitdOption) *Buildkitd {
	t.Helper()
	o := buildkitdOptions{config: buildkitd.Config, timeout: time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	// Only the two binaries are needed, but a test that starts its own
	// daemon builds on the fixtures too, so ask for the whole world.
	env := Require(t)

	dir := TempDir(t)
	b := &Buildkitd{
		Addr:    "unix://" + filepath.Join(dir, "buildkitd.sock"),
		Root:    filepath.Join(dir, "root"),
		Dir:     dir,
		LogFile: filepath.Join(dir, "buildkitd.log"),
		exited:  make(chan struct{}),
	}
	config := filepath.Join(dir, "buildkitd.toml")
	if err := os.WriteFile(config, []byte(o.config), 0o644); err != nil {
		t.Fatalf("testenv: writing buildkitd config: %v", err)
	}
	logf, err := os.Create(b.LogFile)
	if err != nil {
		t.Fatalf("testenv: creating buildkitd log: %v", err)
	}
	defer logf.Close()

	args := append(buildkitd.Args(config, b.Root, b.Addr), o.args...)
	b.cmd = exec.Command(env.Buildkitd, args...)
	tmp := buildkitd.TempDir(b.Root)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	b.cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	b.cmd.Stdout = logf
	b.cmd.Stderr = logf
	setProcessGroup(b.cmd)
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("testenv: starting %s: %v", env.Buildkitd, err)
	}
	go func() {
		b.err = b.cmd.Wait()
		close(b.exited)
	}()
	// Registered after TempDir's cleanup, so it runs first: the daemon is
	// gone before its directory is removed.
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Errorf("testenv: %v", err)
		}
		if t.Failed() {
			t.Logf("testenv: buildkitd log (%s):\n%s", b.Addr, tail(b.LogFile, 40))
		}
	})

	if err := b.waitReady(env.Buildctl, o.timeout); err != nil {
		t.Fatalf("testenv: buildkitd at %s: %v\nlog:\n%s", b.Addr, err, tail(b.LogFile, 40))
	}
	return b
}

// waitReady waits until the daemon lists its workers.
func (b *Buildkitd) waitReady(buildctl string, timeout time.Duration) error {
	exited := func() error {
		select {
		case <-b.exited:
			if b.err != nil {
				return b.err
			}
			return errors.New("exit status 0")
		default:
			return nil
		}
	}
	return daemon.WaitReady(context.Background(), timeout, exited, func(ctx context.Context) error {
		return buildkitd.Probe(ctx, buildctl, b.Addr)
	})
}

// Stop terminates the daemon, and its whole process group if it does not
// exit within 20 seconds. It is safe to call more than once; the test's
// cleanup calls it anyway.
func (b *Buildkitd) Stop() error {
	var err error
	b.stop.Do(func() {
		select {
		case <-b.exited:
			return
		default:
		}
		terminate(b.cmd.Process)
		select {
		case <-b.exited:
			return
		case <-time.After(20 * time.Second):
		}
		killProcessGroup(b.cmd.Process)
		select {
		case <-b.exited:
			err = errors.New("buildkitd ignored SIGTERM for 20s and was killed")
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("buildkitd (pid %d) survived SIGKILL", b.cmd.Process.Pid)
		}
	})
	return err
}

// Exited reports whether the daemon process has ended.
func (b *Buildkitd) Exited() bool {
	select {
	case <-b.exited:
		return true
	default:
		return false
	}
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
