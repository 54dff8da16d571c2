package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	bkclient "github.com/moby/buildkit/client"

	"github.com/ccf-ai-infra/macabox/internal/docker"
)

// dockerAPI is the Docker engine, asked for only when a build needs it (a
// load, or the docker builder), so that builds that never touch Docker never
// need it.
type dockerAPI struct {
	mu  sync.Mutex
	get func() (*docker.Client, error)
	c   *docker.Client
}

func newDockerAPI(get func() (*docker.Client, error)) *dockerAPI {
	return &dockerAPI{get: get}
}

func (d *dockerAPI) client() (*docker.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		return d.c, nil
	}
	if d.get == nil {
		return nil, errors.New("no Docker engine was given to load images into")
	}
	c, err := d.get()
	if err != nil {
		return nil, err
	}
	d.c = c
	return c, nil
}

// connectDocker reaches Docker's embedded BuildKit the way buildx's docker
// driver does: gRPC and the session each run over a connection hijacked from
// the Engine API (/grpc with h2c, /session with the session's protocol).
func (b *Builder) connectDocker(ctx context.Context, timeout time.Duration) error {
	dc, err := b.docker.client()
	if err != nil {
		return err
	}
	engine, builderVersion, err := dc.BuilderVersion(ctx)
	if err != nil {
		return fmt.Errorf("builder docker: %w; or pass --builder with a buildkitd address", err)
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
	caps, err := detectDocker(ctx, b.bk, engine, builderVersion, timeout)
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
		lw.loaded, lw.err = dc.Load(ctx, pr)
		pr.CloseWithError(lw.err)
	}()
	return lw, nil
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
		return fmt.Errorf("--load needs Docker: %w", err)
	}
	if err := dc.Ping(ctx); err != nil {
		return fmt.Errorf("--load needs Docker: %w; or drop --load", err)
	}
	return nil
}
