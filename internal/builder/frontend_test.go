package builder

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// watchedRegistry is an address on loopback that counts the connections
// made to it, standing in for the registry of a frontend image. It answers
// every request with 404.
type watchedRegistry struct {
	net.Listener
	accepted atomic.Int64
}

func (l *watchedRegistry) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

func newWatchedRegistry(t *testing.T) *watchedRegistry {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &watchedRegistry{Listener: inner}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l
}

// TestSyntaxDirectiveIsNotObeyed builds, on the test world's buildkitd,
// Dockerfiles that name a frontend image in every way dockerfile.v0 would
// forward the build to it: the build runs the built-in frontend, and the
// image's registry is never contacted.
func TestSyntaxDirectiveIsNotObeyed(t *testing.T) {
	b := connect(t, requireEnv(t, "MACABOX_TEST_BUILDKIT_HOST"))
	reg := newWatchedRegistry(t)
	frontend := reg.Addr().String() + "/evil/frontend:1"
	dir := t.TempDir()
	file := filepath.Join(dir, "a")
	if err := os.WriteFile(file, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]Request{
		"directive": {Dockerfile: []byte("# syntax=" + frontend + "\nFROM scratch\nCOPY a /a\n")},
		"shebang":   {Dockerfile: []byte("#!/bin/true\n# syntax=" + frontend + "\nFROM scratch\nCOPY a /a\n")},
		"build arg": {Dockerfile: []byte("FROM scratch\nCOPY a /a\n"), Args: map[string]string{"BUILDKIT_SYNTAX": frontend}},
	} {
		t.Run(name, func(t *testing.T) {
			req.Name, req.Files = name, map[string]string{"a": file}
			before := reg.accepted.Load()
			if _, err := b.Build(testContext(t), req); err != nil {
				t.Errorf("build: %v", err)
			}
			if n := reg.accepted.Load() - before; n > 0 {
				t.Errorf("the builder made %d connection(s) to the frontend image's registry", n)
			}
		})
	}
}
