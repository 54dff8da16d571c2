//go:build linux

package daemon

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A script waiting on a child runs its cleanup trap only once the child
// is gone: cancelling must reach the whole group, and quickly. The child
// itself says it started, so the signal cannot come before it exists (the
// script would then run the child after its trap was due, and wait).
func TestTerminateGroupOnCancelLetsAScriptCleanUp(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "cleaned")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "bash", "-c", `trap 'echo cleaned >"$1"; exit 1' TERM; sh -c 'echo started; exec sleep 60'`, "script", marker)
	TerminateGroupOnCancel(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("started"))
	if _, err := out.Read(buf); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cancel()
	if err := cmd.Wait(); err == nil {
		t.Error("the script exited 0 after cancel")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the script took %v to end: its child did not get the signal", took)
	}
	if data, err := os.ReadFile(marker); err != nil || string(data) != "cleaned\n" {
		t.Errorf("cleanup trap did not run: %q, %v", data, err)
	}
}
