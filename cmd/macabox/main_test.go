package main

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/cli"
)

// With MACABOX_MAIN_HELPER set, the test binary is not a test: it is the
// command TestSecondSignalQuits runs in a child process, one that never
// looks at its context.
func TestMain(m *testing.M) {
	if os.Getenv("MACABOX_MAIN_HELPER") == "" {
		os.Exit(m.Run())
	}
	run(nil, func(context.Context, []string, cli.Streams) int {
		os.Stdout.WriteString("started\n")
		select {}
	})
}

// TestSecondSignalQuits: work stuck where cancellation cannot reach it (a
// read from a FIFO, a hung daemon) still ends at the second Ctrl-C.
func TestSecondSignalQuits(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "MACABOX_MAIN_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	buf := make([]byte, len("started\n"))
	if _, err := out.Read(buf); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Fatalf("exit %v, want 130", err)
		}
	case <-time.After(time.Second):
		t.Fatal("still running a second after the second SIGINT")
	}
}
