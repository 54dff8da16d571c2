//go:build !linux

package daemon

import (
	"errors"
	"os"
	"syscall"
)

// Without /proc a recorded PID cannot be tied to its executable, and a PID
// that cannot be tied is never signalled.
func executable(int) (string, error) {
	return "", errors.New("daemon: finding a process's executable needs Linux /proc")
}

func newSession() *syscall.SysProcAttr { return nil }

func terminate(pid int) error { return signal(pid, os.Interrupt) }

func kill(pid int) error { return signal(pid, os.Kill) }

func signal(pid int, sig os.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(sig)
}

func newGroup() *syscall.SysProcAttr { return nil }

func terminateGroup(pid int) error { return terminate(pid) }
