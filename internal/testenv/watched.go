package testenv

import (
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// Watched is an address on loopback that counts the connections made to
// it and answers every HTTP request with 404: a registry that a test wants
// nobody to contact, such as the one of a frontend image a hostile
// Dockerfile names. buildkitd and Docker reach loopback registries over
// plain HTTP.
type Watched struct {
	listener *countingListener
}

type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// Watch starts a Watched address that stops when the test ends.
func Watch(t testing.TB) *Watched {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: listening on loopback: %v", err)
	}
	l := &countingListener{Listener: inner}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &Watched{listener: l}
}

// Addr is HOST:PORT, to put in an image reference.
func (w *Watched) Addr() string { return w.listener.Addr().String() }

// Connections counts the connections accepted so far.
func (w *Watched) Connections() int64 { return w.listener.accepted.Load() }
