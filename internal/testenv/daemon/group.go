package daemon

import (
	"os/exec"
	"time"
)

// groupWaitDelay is how long a group that got SIGTERM has for its cleanup
// before the context's kill.
const groupWaitDelay = 30 * time.Second

// TerminateGroupOnCancel makes cmd, made with exec.CommandContext, lead a
// process group of its own and, when its context ends, sends SIGTERM to
// the whole group instead of SIGKILL to cmd alone. A shell script waiting
// on a child would otherwise never run its cleanup trap, and the child
// (debootstrap, say) would leave its mounts behind.
func TerminateGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = newGroup()
	cmd.Cancel = func() error { return terminateGroup(cmd.Process.Pid) }
	cmd.WaitDelay = groupWaitDelay
}
