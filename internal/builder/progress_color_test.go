package builder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/containerd/console"
)

// progressChildEnv makes the test binary show one failing step on a
// terminal and print what the terminal received.
const progressChildEnv = "MACABOX_TEST_PROGRESS_ON_PTY"

// TestProgressHonoursNoColor: the terminal display colours a failed step
// red, and leaves every colour out when NO_COLOR is set. BuildKit's
// display reads NO_COLOR itself, once, when the program starts, so
// macabox does nothing for it; the display runs in a child process so
// that each run starts with the environment it is meant to have.
func TestProgressHonoursNoColor(t *testing.T) {
	if os.Getenv(progressChildEnv) == "1" {
		showFailedStepOnPty(t)
		return
	}
	colours := []string{"\x1b[31m", "\x1b[34m", "\x1b[33m", "\x1b[36m"}
	coloured := progressOnPty(t, "")
	if !strings.Contains(coloured, "\x1b[31m") || !strings.Contains(coloured, "ERROR failing step") {
		t.Fatalf("without NO_COLOR the failed step is not red: %q", coloured)
	}
	plain := progressOnPty(t, "1")
	if !strings.Contains(plain, "ERROR failing step") {
		t.Fatalf("with NO_COLOR the failed step is not shown: %q", plain)
	}
	for _, c := range colours {
		if strings.Contains(plain, c) {
			t.Errorf("with NO_COLOR the display still colours (%q): %q", c, plain)
		}
	}
}

// progressOnPty runs the test binary as a child with NO_COLOR set to
// noColor ("" leaves it unset) and returns what its terminal showed.
func progressOnPty(t *testing.T, noColor string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestProgressHonoursNoColor$", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NO_COLOR=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, progressChildEnv+"=1")
	if noColor != "" {
		cmd.Env = append(cmd.Env, "NO_COLOR="+noColor)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out)
}

func showFailedStepOnPty(t *testing.T) {
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	if err := master.Resize(console.WinSize{Height: 24, Width: 100}); err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(&screen, master) // ends with EIO once the terminal closes
	}()
	p, err := NewProgress(context.Background(), slave, "tty")
	if err != nil {
		t.Fatal(err)
	}
	p.Start("failing step").Done(errors.New("boom"))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	select {
	case <-copied:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output did not end")
	}
	os.Stdout.Write(screen.Bytes())
}
