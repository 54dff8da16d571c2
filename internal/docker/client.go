package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// pingTimeout bounds the first round trip, so an engine that does not answer
// fails a command in seconds instead of hanging a CI job.
const pingTimeout = 10 * time.Second

// Client talks to one engine. Making one does no I/O; Ping checks it answers.
type Client struct {
	ep Endpoint
	c  *client.Client
}

// New makes a client of ep.
func New(ep Endpoint) (*Client, error) {
	c, err := client.New(ep.opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w", ep, err)
	}
	return &Client{ep: ep, c: c}, nil
}

// Connect resolves the endpoint from the environment and makes its client.
func Connect(getenv func(string) string) (*Client, error) {
	ep, err := ResolveEndpoint(getenv)
	if err != nil {
		return nil, err
	}
	return New(ep)
}

// Endpoint is the engine this client talks to.
func (c *Client) Endpoint() Endpoint { return c.ep }

// Close releases the client's connections.
func (c *Client) Close() error { return c.c.Close() }

// UnreachableError says the engine did not answer. It is never a reason to
// try another one.
type UnreachableError struct {
	Endpoint Endpoint
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("Docker is not reachable at %s: %v; start dockerd there, or point %s or `docker context use` at a running engine",
		e.Endpoint, e.Err, EnvHost)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Ping checks that the engine answers, and agrees on the API version.
func (c *Client) Ping(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if _, err := c.c.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &UnreachableError{Endpoint: c.ep, Err: err}
	}
	return nil
}

// Version is the engine's version, e.g. "20.10.24".
func (c *Client) Version(ctx context.Context) (string, error) {
	if err := c.Ping(ctx); err != nil {
		return "", err
	}
	v, err := c.c.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", fmt.Errorf("asking Docker for its version: %w", err)
	}
	return v.Version, nil
}

// BuilderVersion is the engine's version and the builder it announces
// ("2" for BuildKit), for reaching its embedded BuildKit.
func (c *Client) BuilderVersion(ctx context.Context) (engine, builder string, err error) {
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	ping, err := c.c.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		return "", "", &UnreachableError{Endpoint: c.ep, Err: err}
	}
	v, err := c.c.ServerVersion(pctx, client.ServerVersionOptions{})
	if err != nil {
		return "", "", fmt.Errorf("reading the Docker version: %w", err)
	}
	return v.Version, string(ping.BuilderVersion), nil
}

// DialHijack opens a raw connection to an Engine API path upgraded to proto,
// the way buildx's docker driver reaches the embedded BuildKit.
func (c *Client) DialHijack(ctx context.Context, path, proto string, meta map[string][]string) (net.Conn, error) {
	return c.c.DialHijack(ctx, path, proto, meta)
}

// ErrNotFound is what a lookup of a missing image or container wraps.
var ErrNotFound = errors.New("not found")

// notFound wraps a Docker not-found error so callers need not know the
// engine's error types.
func notFound(err error) error {
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}
