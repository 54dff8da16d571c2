//go:build !unix

package testenv

import (
	"os"
	"os/exec"
)

func setProcessGroup(*exec.Cmd) {}

func terminate(p *os.Process) { _ = p.Kill() }

func killProcessGroup(p *os.Process) { _ = p.Kill() }
