package daemon

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// executable is the path /proc gives for pid's executable. It fails for a
// process that has exited, zombies included.
func executable(pid int) (string, error) {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return "", err
	}
	// A binary replaced on disk while the daemon runs (a rebuilt tool) is
	// still the daemon that was started.
	return strings.TrimSuffix(exe, " (deleted)"), nil
}

func newSession() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

func terminate(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }

func kill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

func newGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func terminateGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGTERM) }
