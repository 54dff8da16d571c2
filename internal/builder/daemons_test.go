package builder

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/docker"
)

// These helpers start real daemons for the tests and stop them in cleanup,
// also when a test fails. A missing test world fails the test: CI has one.

func requireEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: these tests need the test world; run: make test (or eval \"$(scripts/testenv.sh env)\")", name)
	}
	return v
}

// shortTempDir keeps unix socket paths under the 108-byte limit, which
// t.TempDir's long names can exceed.
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := removeAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}

// removeAll copes with buildkitd's read-only and leftover mount points.
func removeAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() {
			_ = syscall.Unmount(p, syscall.MNT_DETACH)
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// startProcess runs cmd until the test ends: SIGTERM, then SIGKILL after 10s.
func startProcess(t *testing.T, cmd *exec.Cmd, logName string) {
	t.Helper()
	logf, err := os.Create(logName)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
		if t.Failed() {
			if dt, err := os.ReadFile(logName); err == nil {
				t.Logf("%s log (last 3000 bytes):\n%s", filepath.Base(cmd.Path), tail(string(dt), 3000))
			}
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// startBuildkitd starts a buildkitd with a fresh root on a unix socket and
// returns its address.
func startBuildkitd(t *testing.T) string {
	t.Helper()
	dir := shortTempDir(t, "mbk-")
	sock := filepath.Join(dir, "buildkitd.sock")
	startBuildkitdAt(t, dir, "unix", sock)
	return "unix://" + sock
}

// startBuildkitdAt starts buildkitd with its root under dir, listening on
// network/address ("unix" and a path, or "tcp" and HOST:PORT), with extra
// flags (TLS).
func startBuildkitdAt(t *testing.T, dir, network, address string, extra ...string) {
	t.Helper()
	bin := requireEnv(t, "MACABOX_TEST_BUILDKITD")
	args := append([]string{
		"--root", filepath.Join(dir, "root"),
		"--addr", network + "://" + address,
		"--oci-worker=true", "--containerd-worker=false",
	}, extra...)
	startProcess(t, exec.Command(bin, args...), filepath.Join(dir, "buildkitd.log"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial(network, address); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("buildkitd did not listen on %s within 30s", address)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testRegistry is a registry on loopback for the test: the testenv's running
// one when MACABOX_TEST_REGISTRY is HOST:PORT, else one started here from the
// binary named by MACABOX_TEST_REGISTRY_BIN (or by MACABOX_TEST_REGISTRY when
// that is a file). It returns "127.0.0.1:PORT".
func testRegistry(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("MACABOX_TEST_REGISTRY_BIN")
	env := os.Getenv("MACABOX_TEST_REGISTRY")
	if bin == "" && env != "" {
		if fi, err := os.Stat(env); err == nil && fi.Mode().IsRegular() {
			bin = env
		} else {
			waitRegistry(t, env)
			return env
		}
	}
	if bin == "" {
		t.Fatal("MACABOX_TEST_REGISTRY is not set: run make test, or scripts/testenv.sh up (or set MACABOX_TEST_REGISTRY_BIN to a registry binary)")
	}
	dir := shortTempDir(t, "mreg-")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), host)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, exec.Command(bin, "serve", cfgPath), filepath.Join(dir, "registry.log"))
	waitRegistry(t, host)
	return host
}

func waitRegistry(t *testing.T, host string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry did not answer on %s within 20s: %v", host, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func connect(t *testing.T, addr string) *Builder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Connect(ctx, addr, ConnectOptions{Docker: envDocker})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("closing builder: %v", err)
		}
	})
	return b
}

// envDocker is the Docker engine of the test's environment, found by
// Docker's rules as macabox finds it.
func envDocker() (*docker.Client, error) { return docker.Connect(os.Getenv) }

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func errorContains(err error, parts ...string) error {
	if err == nil {
		return errors.New("no error")
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			return fmt.Errorf("error %q does not contain %q", err, p)
		}
	}
	return nil
}
