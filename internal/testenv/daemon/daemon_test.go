//go:build linux

package daemon

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the daemon: with helperVar set it sleeps,
// ignoring SIGTERM when asked to, and never returns to the tests.
const helperVar = "DAEMON_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperVar) {
	case "":
		os.Exit(m.Run())
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	}
	os.Stdout.WriteString("helper running\n")
	time.Sleep(time.Minute)
	os.Exit(0)
}

func self(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// startHelper starts the test binary as a daemon recorded as name, and
// makes sure it is gone when the test ends.
func startHelper(t *testing.T, dir, name, mode string) Proc {
	t.Helper()
	exe := self(t)
	p := Proc{RunDir: dir, Name: name, Exe: filepath.Base(exe)}
	if err := p.Start(filepath.Join(dir, name+".log"), append(os.Environ(), helperVar+"="+mode), exe); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pid, ok := p.PID(); ok {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	waitFor(t, func() bool {
		data, _ := os.ReadFile(filepath.Join(dir, name+".log"))
		return strings.Contains(string(data), "helper running")
	})
	return p
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

func TestStartRecordsTheDaemonInASessionOfItsOwn(t *testing.T) {
	dir := t.TempDir()
	p := startHelper(t, dir, "svc", "sleep")
	pid, ok := p.PID()
	if !ok {
		t.Fatal("PID: the started daemon is not running")
	}
	data, err := os.ReadFile(p.PIDFile())
	if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(pid) {
		t.Errorf("PID file %q (%v), want %d", data, err, pid)
	}
	// A session leader leads its process group too; Ctrl-C aimed at the
	// caller's group does not reach it.
	if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
		t.Errorf("daemon's process group %d (%v), want its own (%d)", pgid, err, pid)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "svc.log"))
	if !strings.HasPrefix(string(log), "\n==== ") || !strings.Contains(string(log), ": starting "+self(t)) {
		t.Errorf("log does not start with the start line:\n%s", log)
	}
}

func TestPIDRefusesWhatItDidNotStart(t *testing.T) {
	dir := t.TempDir()
	p := Proc{RunDir: dir, Name: "buildkitd", Exe: "buildkitd"}
	for _, content := range []string{
		// A live process that runs something else: this test binary, as a
		// recycled PID would.
		strconv.Itoa(os.Getpid()),
		// Dead, or never a PID.
		"999999999", "", "abc", "-1", "0",
	} {
		if err := os.WriteFile(p.PIDFile(), []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if pid, ok := p.PID(); ok {
			t.Errorf("PID file %q: PID() = %d, true; want false", content, pid)
		}
		// Stop must not signal it either (this process would die).
		p.Stop(time.Second, t.Logf)
		if _, err := os.Stat(p.PIDFile()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("PID file %q left after Stop", content)
		}
	}
	if _, ok := p.PID(); ok {
		t.Error("PID() true without a PID file")
	}
}

func TestStopTerminates(t *testing.T) {
	p := startHelper(t, t.TempDir(), "svc", "sleep")
	start := time.Now()
	p.Stop(20*time.Second, t.Logf)
	if _, ok := p.PID(); ok {
		t.Error("still running after Stop")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Stop took %v for a daemon that exits on SIGTERM", took)
	}
}

func TestStopKillsADaemonThatIgnoresTerm(t *testing.T) {
	p := startHelper(t, t.TempDir(), "stubborn", "ignore-term")
	var logged []string
	p.Stop(500*time.Millisecond, func(f string, a ...any) { logged = append(logged, f) })
	if _, ok := p.PID(); ok {
		t.Fatal("still running after Stop")
	}
	if !strings.Contains(strings.Join(logged, "\n"), "ignored SIGTERM") {
		t.Errorf("no word of the SIGKILL in the log: %q", logged)
	}
	if _, err := os.Stat(p.PIDFile()); !errors.Is(err, os.ErrNotExist) {
		t.Error("PID file left after Stop")
	}
}

func TestWaitReady(t *testing.T) {
	ctx := context.Background()
	alive := func() error { return nil }
	n := 0
	err := WaitReady(ctx, 10*time.Second, alive, func(context.Context) error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Errorf("WaitReady = %v after %d probes, want nil after 3", err, n)
	}

	notYet := func(context.Context) error { return errors.New("connection refused") }
	err = WaitReady(ctx, 10*time.Second, func() error { return errors.New("exit status 1") }, notYet)
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("dead daemon: %v, want ErrExited with the reason", err)
	}

	err = WaitReady(ctx, 100*time.Millisecond, alive, notYet)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("silent daemon: %v, want ErrTimeout with the last answer", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := WaitReady(cancelled, time.Minute, alive, notYet); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
