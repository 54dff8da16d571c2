package world

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/testenv/daemon"
)

// dockerGrace: dockerd stops its containers before it exits.
const dockerGrace = 60 * time.Second

func (w *World) dockerd() daemon.Proc {
	return daemon.Proc{RunDir: w.runDir(), Name: "dockerd", Exe: "dockerd"}
}

func dockerAnswers(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "info").CombinedOutput()
	if err != nil {
		return fmt.Errorf("docker info: %w: %s", err, lastLine(out))
	}
	return nil
}

// dockerEndpoint is where the docker CLI connects, for tests that use the
// API directly.
func dockerEndpoint(ctx context.Context) string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	out, err := exec.CommandContext(ctx, "docker", "context", "inspect", "--format", "{{.Endpoints.docker.Host}}").Output()
	if h := strings.TrimSpace(string(out)); err == nil && h != "" {
		return h
	}
	return "unix:///var/run/docker.sock"
}

// ensureDocker makes `docker info` work: a running Docker is used as it is,
// otherwise docker.io is installed and dockerd started.
func (w *World) ensureDocker(ctx context.Context) error {
	d := w.dockerd()
	if dockerAnswers(ctx) == nil {
		if _, ok := d.PID(); ok {
			w.log.Printf("docker: running (started by testenv)")
		} else {
			w.log.Printf("docker: running (not started by testenv; left alone)")
		}
		return nil
	}
	if err := w.host.ensureDockerPackages(ctx); err != nil {
		return err
	}
	// Installing docker.io on a systemd host starts the service.
	if dockerAnswers(ctx) == nil {
		w.log.Printf("docker: running (started by the docker.io package)")
		return nil
	}
	logFile := w.logFile("dockerd")
	if _, ok := d.PID(); !ok {
		if !isRoot() {
			return errors.New("docker info fails and dockerd is not running; start it (sudo systemctl start docker) or run this as root")
		}
		exe, err := exec.LookPath("dockerd")
		if err != nil {
			return fmt.Errorf("dockerd: %w", err)
		}
		w.log.Printf("docker: starting dockerd (log: %s)", logFile)
		if err := d.Start(logFile, nil, exe); err != nil {
			return err
		}
	}
	if err := w.waitDaemon(ctx, d, logFile, dockerAnswers); err != nil {
		return err
	}
	version, _ := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").Output()
	w.log.Printf("docker: up (%s)", strings.TrimSpace(string(version)))
	return nil
}

// waitDaemon waits for a daemon just started to answer, and explains a
// failure with the end of its log.
func (w *World) waitDaemon(ctx context.Context, d daemon.Proc, logFile string, ready func(context.Context) error) error {
	err := daemon.WaitReady(ctx, w.StartTimeout, d.Alive, ready)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, daemon.ErrExited):
		w.log.Printf("%s died while starting; last lines of %s:", d.Name, logFile)
		w.log.Tail(logFile, 40)
		return fmt.Errorf("%s did not start (log: %s)", d.Name, logFile)
	case errors.Is(err, daemon.ErrTimeout):
		w.log.Printf("%s did not answer within %v; last lines of %s:", d.Name, w.StartTimeout, logFile)
		w.log.Tail(logFile, 40)
		return fmt.Errorf("%s did not answer within %v (raise MACABOX_START_TIMEOUT if this machine is just slow; scripts/testenv.sh down stops it): %w", d.Name, w.StartTimeout, err)
	default:
		return err
	}
}

// lastLine is the line of a command's output that usually says why.
func lastLine(out []byte) string {
	s := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
