package pipeline

import (
	"context"
	"os"
	"sync"

	"github.com/ccf-ai-infra/macabox/internal/docker"
)

// dockerEngine is the one Docker engine of a run, resolved on first use by
// Docker's own rules and then handed to everything that talks to Docker:
// the builder (to load images), the smoke runner, doctor. Resolving it
// lazily keeps a build that never loads free of Docker.
type dockerEngine struct {
	once sync.Once
	c    *docker.Client
	err  error
}

func newDockerEngine() *dockerEngine { return &dockerEngine{} }

// lazy resolves the engine and makes its client, once.
func (d *dockerEngine) lazy() (*docker.Client, error) {
	d.once.Do(func() {
		d.c, d.err = docker.Connect(os.Getenv)
		d.err = markCannot(d.err)
	})
	return d.c, d.err
}

// ready resolves the engine and checks that it answers: a run that will
// need Docker finds out before any build.
func (d *dockerEngine) ready(ctx context.Context) (*docker.Client, error) {
	c, err := d.lazy()
	if err != nil {
		return nil, err
	}
	if err := c.Ping(ctx); err != nil {
		return nil, markCannot(err)
	}
	return c, nil
}

// close releases the client, if one was made.
func (d *dockerEngine) close() {
	if d.c != nil {
		_ = d.c.Close()
	}
}
