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

// TestHelperStuck is not a test: TestSecondSignalQuits runs it in a child
// process as a command that never looks at its context.
func TestHelperStuck(t *testing.T) {
	if os.Getenv("MACABOX_MAIN_HELPER") == "" {
		t.Skip("helper process for TestSecondSignalQuits")
	}
	run(nil, func(context.Context, []string, cli.Streams) int {
		os.Stdout.WriteString("started\n")
		select {}
	})
}

// TestSecondSignalQuits: work stuck where cancellation cannot reach it (a
// read from a FIFO, a hung daemon) still ends at the second Ctrl-C.
func TestSecondSignalQuits(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStuck$")
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
