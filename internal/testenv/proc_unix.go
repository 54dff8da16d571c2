//go:build unix

package testenv

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup puts the daemon in a group of its own, so that a kill
// reaches the runc processes it started as well.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func terminate(p *os.Process) {
	_ = p.Signal(syscall.SIGTERM)
}

func killProcessGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}
