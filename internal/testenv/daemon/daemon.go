// Package daemon starts the test world's background processes and stops
// them again by the PID recorded at start. Only a process that still runs
// the recorded executable is ever signalled, so a developer's own dockerd
// or registry, or a recycled PID, is never touched.
package daemon

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Proc is a daemon known by the PID file RunDir/Name.pid.
type Proc struct {
	RunDir string
	// Name is the PID file's base name: buildkitd, registry, dockerd, ...
	Name string
	// Exe is the base name of the executable the recorded PID must run.
	Exe string
}

// PIDFile is where the PID is recorded.
func (p Proc) PIDFile() string {
	return filepath.Join(p.RunDir, p.Name+".pid")
}

// PID is the recorded PID if that process is alive and still runs Exe.
func (p Proc) PID() (int, bool) {
	data, err := os.ReadFile(p.PIDFile())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	exe, err := executable(pid)
	if err != nil || filepath.Base(exe) != p.Exe {
		return 0, false
	}
	return pid, true
}

// Alive is PID as an error, for WaitReady.
func (p Proc) Alive() error {
	if _, ok := p.PID(); !ok {
		return fmt.Errorf("%s is no longer running", p.Name)
	}
	return nil
}

// Start runs argv in a session of its own (so a terminal's hangup or Ctrl-C
// aimed at the caller does not reach it), with stdin from /dev/null and
// stdout and stderr appended to logFile (so a CI runner waiting on the
// caller's pipes is not held up), and records its PID. env nil means the
// caller's environment.
func (p Proc) Start(logFile string, env []string, argv ...string) error {
	if len(argv) == 0 {
		return errors.New("daemon: empty command")
	}
	logf, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening the log of %s: %w", p.Name, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n==== %s: starting %s\n", time.Now().UTC().Format("2006-01-02T15:04:05Z"), strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = newSession()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	pid := cmd.Process.Pid
	// Never waited for: the daemon outlives this process. Until then a dead
	// daemon stays a zombie, which PID reports as not running.
	_ = cmd.Process.Release()
	// Written aside and renamed, so that a reader never sees an empty file.
	tmp := p.PIDFile() + ".tmp"
	err = os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644)
	if err == nil {
		err = os.Rename(tmp, p.PIDFile())
	}
	if err != nil {
		return fmt.Errorf("recording the PID of %s: %w", p.Name, err)
	}
	return nil
}

// Stop sends SIGTERM to the recorded process, if it is still the one that
// was started, and SIGKILL after grace. The PID file goes either way.
func (p Proc) Stop(grace time.Duration, logf func(format string, args ...any)) {
	defer os.Remove(p.PIDFile())
	pid, ok := p.PID()
	if !ok {
		return
	}
	logf("stopping %s (pid %d)", p.Name, pid)
	_ = terminate(pid)
	deadline := time.Now().Add(grace)
	for {
		if _, ok := p.PID(); !ok {
			return
		}
		if !time.Now().Before(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	logf("%s (pid %d) ignored SIGTERM for %v; sending SIGKILL", p.Name, pid, grace)
	_ = kill(pid)
	for i := 0; i < 25; i++ {
		if _, ok := p.PID(); !ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
