package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	bkclient "github.com/moby/buildkit/client"
	dockerclient "github.com/moby/moby/client"
)

// dockerAPI is the Docker Engine client, made on first use so that builds
// that never touch Docker never need it.
type dockerAPI struct {
	mu    sync.Mutex
	c     *dockerclient.Client
	owned bool
}

func newDockerAPI(c *dockerclient.Client) *dockerAPI {
	return &dockerAPI{c: c}
}

func (d *dockerAPI) client() (*dockerclient.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		return d.c, nil
	}
	c, err := dockerclient.New(dockerclient.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	d.c, d.owned = c, true
	return c, nil
}

func (d *dockerAPI) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil || !d.owned {
		return nil
	}
	err := d.c.Close()
	d.c = nil
	return err
}

// connectDocker reaches Docker's embedded BuildKit the way buildx's docker
// driver does: gRPC and the session each run over a connection hijacked from
// the Engine API (/grpc with h2c, /session with the session's protocol).
func (b *Builder) connectDocker(ctx context.Context, timeout time.Duration) error {
	dc, err := b.docker.client()
	if err != nil {
		return err
	}
	pingCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ping, err := dc.Ping(pingCtx, dockerclient.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		return fmt.Errorf("builder docker: Docker is not reachable at %s: %v; start dockerd or pass --builder with a buildkitd address", dc.DaemonHost(), err)
	}
	ver, err := dc.ServerVersion(pingCtx, dockerclient.ServerVersionOptions{})
	if err != nil {
		return fmt.Errorf("builder docker: reading the Docker version: %w", err)
	}
	b.bk, err = bkclient.New(ctx, "",
		bkclient.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return dc.DialHijack(ctx, "/grpc", "h2c", nil)
		}),
		bkclient.WithSessionDialer(func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return dc.DialHijack(ctx, "/session", proto, meta)
		}),
	)
	if err != nil {
		return fmt.Errorf("builder docker: %w", err)
	}
	caps, err := detectDocker(ctx, b.bk, ver.Version, string(ping.BuilderVersion), timeout)
	if err != nil {
		return unreachable(DockerAddr, err)
	}
	b.caps = caps
	return nil
}

// loadWriter streams a docker-archive tarball into Docker's image load. Close
// waits for Docker to finish and reports what it said, so a rejected tarball
// fails the build instead of passing silently.
type loadWriter struct {
	pw   *io.PipeWriter
	done chan struct{}
	err  error
	// loaded is what Docker reported ("Loaded image: ...").
	loaded []string
}

func (d *dockerAPI) startLoad(ctx context.Context) (*loadWriter, error) {
	dc, err := d.client()
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	lw := &loadWriter{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		lw.err = lw.run(ctx, dc, pr)
		pr.CloseWithError(lw.err)
	}()
	return lw, nil
}

func (lw *loadWriter) run(ctx context.Context, dc *dockerclient.Client, r io.Reader) error {
	resp, err := dc.ImageLoad(ctx, r, dockerclient.ImageLoadWithQuiet(true))
	if err != nil {
		return fmt.Errorf("loading into docker: %w", err)
	}
	defer resp.Close()
	dec := json.NewDecoder(resp)
	for {
		var msg struct {
			Stream      string `json:"stream"`
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("loading into docker: reading the response: %w", err)
		}
		if msg.ErrorDetail != nil && msg.ErrorDetail.Message != "" {
			return fmt.Errorf("loading into docker: %s", msg.ErrorDetail.Message)
		}
		if msg.Error != "" {
			return fmt.Errorf("loading into docker: %s", msg.Error)
		}
		if s := strings.TrimSpace(msg.Stream); s != "" {
			lw.loaded = append(lw.loaded, s)
		}
	}
}

func (lw *loadWriter) Write(p []byte) (int, error) { return lw.pw.Write(p) }

func (lw *loadWriter) Close() error {
	lw.pw.Close()
	<-lw.done
	return lw.err
}

// ping checks Docker answers before a build whose result it must load, so an
// absent dockerd fails in seconds and not after the build.
func (d *dockerAPI) ping(ctx context.Context) error {
	dc, err := d.client()
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, defaultDialTimeout)
	defer cancel()
	if _, err := dc.Ping(pctx, dockerclient.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return fmt.Errorf("--load needs Docker, which is not reachable at %s: %v; start dockerd or drop --load", dc.DaemonHost(), err)
	}
	return nil
}
