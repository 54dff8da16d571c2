package builder

import (
	"context"
	"net"
	"os/exec"
	"testing"
	"time"
)

func TestConnectErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		addr string
		want []string
	}{
		{"", []string{"--builder", "BUILDKIT_HOST"}},
		{"unix:///nonexistent/buildkitd.sock", []string{"unix:///nonexistent/buildkitd.sock", "not reachable", "start buildkitd"}},
		{"tcp://" + closedPort, []string{closedPort, "not reachable", "start buildkitd"}},
		{"http://example", []string{"unsupported scheme", "unix://"}},
		{"buildkitd.sock", []string{"not a URL"}},
		{"unix://", []string{"no socket path"}},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			start := time.Now()
			b, err := Connect(context.Background(), tc.addr, ConnectOptions{DialTimeout: 3 * time.Second})
			if b != nil {
				b.Close()
				t.Fatal("connected")
			}
			if e := errorContains(err, tc.want...); e != nil {
				t.Fatal(e)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestConnectTLSOnlyForTCP(t *testing.T) {
	_, err := Connect(context.Background(), "unix:///x.sock", ConnectOptions{TLS: TLSOptions{CA: "ca.pem"}})
	if e := errorContains(err, "TLS", "tcp://"); e != nil {
		t.Fatal(e)
	}
	_, err = Connect(context.Background(), "tcp://127.0.0.1:1", ConnectOptions{TLS: TLSOptions{Cert: "c.pem"}})
	if e := errorContains(err, "--tls-key"); e != nil {
		t.Fatal(e)
	}
}

func TestConnectMissingContainer(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatal("no docker CLI (Debian package docker.io)")
	}
	start := time.Now()
	_, err := Connect(context.Background(), "docker-container://macabox-no-such-container", ConnectOptions{DialTimeout: 5 * time.Second})
	if e := errorContains(err, "docker-container://macabox-no-such-container", "start the container"); e != nil {
		t.Fatal(e)
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestResolveAddr(t *testing.T) {
	env := map[string]string{"BUILDKIT_HOST": "tcp://b:1234"}
	if a, _ := ResolveAddr("unix:///x", func(k string) string { return env[k] }); a != "unix:///x" {
		t.Errorf("flag must win, got %q", a)
	}
	if a, _ := ResolveAddr("", func(k string) string { return env[k] }); a != "tcp://b:1234" {
		t.Errorf("env, got %q", a)
	}
	if _, err := ResolveAddr("", func(string) string { return "" }); errorContains(err, "--builder", "BUILDKIT_HOST") != nil {
		t.Errorf("no address: %v", err)
	}
}

func TestConnectDockerUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	start := time.Now()
	_, err := Connect(context.Background(), DockerAddr, ConnectOptions{DialTimeout: 3 * time.Second, Docker: envDocker})
	if e := errorContains(err, "builder docker", "/nonexistent/docker.sock", "start dockerd"); e != nil {
		t.Fatal(e)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
