package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// onLine calls fn once, the first time a written line contains marker.
type onLine struct {
	mu     sync.Mutex
	marker string
	fn     func()
	done   bool
	buf    strings.Builder
}

func (w *onLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), w.marker) {
		w.done = true
		go w.fn()
	}
	return len(p), nil
}

func TestRunCancelled(t *testing.T) {
	needDocker(t)
	runID := NewRunID()
	t.Cleanup(func() { noLeftovers(t, runID) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel once the second test has started and had time to exec.
	progress := &onLine{marker: "[2/3]", fn: func() { time.Sleep(300 * time.Millisecond); cancel() }}
	start := time.Now()
	rep, err := Run(ctx, Options{
		Docker: testDocker, Image: testImage, RunID: runID, Progress: progress,
		Tests: []smoke.Test{
			caseOf(cmdTest("first", "true", nil)),
			caseOf(cmdTest("long", "sleep 60", nil)),
			caseOf(cmdTest("never", "true", nil)),
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("cancellation took %s", time.Since(start))
	}
	if rep == nil || len(rep.Results) != 1 || rep.Incomplete == "" || rep.OK() {
		t.Fatalf("report = %+v", rep)
	}
}

// TestRunCancelledDuringStart cancels while the container is being created
// or started: whatever Docker made must be gone when Run returns, and stay
// gone (a create the daemon completes late is caught by the run's label).
func TestRunCancelledDuringStart(t *testing.T) {
	needDocker(t)
	for _, d := range []time.Duration{0, 10 * time.Millisecond, 40 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond} {
		runID := NewRunID()
		t.Cleanup(func() { noLeftovers(t, runID) })
		ctx, cancel := context.WithTimeout(context.Background(), d)
		_, err := Run(ctx, Options{Docker: testDocker, Image: testImage, RunID: runID, Tests: []smoke.Test{caseOf(cmdTest("x", "sleep 5", nil))}})
		cancel()
		if err == nil {
			t.Errorf("after %s: Run succeeded", d)
		}
		if ids := leftovers(t, runID); len(ids) > 0 {
			t.Errorf("cancelled after %s: left %v when Run returned", d, ids)
		}
		time.Sleep(time.Second)
		if ids := leftovers(t, runID); len(ids) > 0 {
			t.Errorf("cancelled after %s: left %v a second later", d, ids)
		}
	}
}

// TestHelperRun is not a test: a child process of TestSignals runs it to be
// signalled while a smoke test is running.
func TestHelperRun(t *testing.T) {
	runID := os.Getenv("MACABOX_SMOKE_HELPER_RUN")
	if runID == "" {
		t.Skip("helper process for TestSignals")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cli, err := docker.Connect(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, Options{
		Docker: cli, Image: testImage, RunID: runID, Progress: os.Stderr,
		Tests: []smoke.Test{caseOf(cmdTest("long", "sleep 120", nil))},
	})
	fmt.Fprintf(os.Stderr, "helper: Run returned: %v\n", err)
	os.Exit(0)
}

// startHelper runs TestHelperRun in a child process and returns once its
// smoke test is running.
func startHelper(t *testing.T, runID string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRun$", "-test.v")
	cmd.Env = append(os.Environ(), "MACABOX_SMOKE_HELPER_RUN="+runID)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Should the test fail half-way, the helper must not outlive it (its
	// container is then removed by the run's own noLeftovers).
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	started := make(chan struct{})
	var out strings.Builder
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.Contains(sc.Text(), "[1/1] long") {
				once.Do(func() { close(started) })
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case <-started:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the helper's smoke test did not start; its output:\n%s", out.String())
	}
	time.Sleep(500 * time.Millisecond) // let the exec begin
	if n := len(leftovers(t, runID)); n != 1 {
		t.Fatalf("the helper runs %d containers, want 1", n)
	}
	return cmd
}

func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		t.Fatalf("the helper did not exit within %s", limit)
	}
}

func TestSignals(t *testing.T) {
	needDocker(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			runID := NewRunID()
			t.Cleanup(func() { noLeftovers(t, runID) })
			cmd := startHelper(t, runID)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitExit(t, cmd, 40*time.Second)
			if ids := leftovers(t, runID); len(ids) != 0 {
				t.Errorf("after %s, containers are left: %v", sig, ids)
			}
		})
	}
	t.Run("killed", func(t *testing.T) {
		// SIGKILL cannot be handled: the container stays, and Cleanup finds
		// it by its run label.
		runID := NewRunID()
		t.Cleanup(func() { noLeftovers(t, runID) })
		cmd := startHelper(t, runID)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		waitExit(t, cmd, 10*time.Second)
		if n := len(leftovers(t, runID)); n != 1 {
			t.Fatalf("after SIGKILL, %d containers of the run, want the 1 left behind", n)
		}
		// Cleanup of everything takes it: its macabox process is gone.
		res, err := Cleanup(context.Background(), testDocker, "")
		if err != nil || !slices.ContainsFunc(res.Removed, func(n string) bool { return strings.HasSuffix(n, runID) }) {
			t.Fatalf("Cleanup = %+v, %v", res, err)
		}
		if ids := leftovers(t, runID); len(ids) != 0 {
			t.Errorf("after Cleanup: %v", ids)
		}
	})
}
