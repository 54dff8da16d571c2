package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// Exec is a process started in a running container, its output attached.
type Exec struct {
	c   *client.Client
	id  string
	att client.HijackedResponse
}

// StartExec starts cmd with env added in the container and attaches to its
// stdout and stderr.
func (c *Client) StartExec(ctx context.Context, container string, cmd, env []string) (*Exec, error) {
	created, err := c.c.ExecCreate(ctx, container, client.ExecCreateOptions{
		Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating exec: %w", err)
	}
	att, err := c.c.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return nil, fmt.Errorf("starting exec: %w", err)
	}
	return &Exec{c: c.c, id: created.ID, att: att.HijackedResponse}, nil
}

// Copy demultiplexes the process's output into stdout and stderr until it
// ends or Close is called.
func (e *Exec) Copy(stdout, stderr io.Writer) error {
	_, err := stdcopy.StdCopy(stdout, stderr, e.att.Reader)
	return err
}

// Close drops the output stream; the process itself runs on.
func (e *Exec) Close() { e.att.Close() }

// ExitCode waits for Docker to record the end of a process whose output has
// closed; the daemon does so shortly after, not always before.
func (e *Exec) ExitCode(ctx context.Context) (int, error) {
	pause := time.Millisecond
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := e.c.ExecInspect(ctx, e.id, client.ExecInspectOptions{})
		if err != nil {
			return -1, fmt.Errorf("inspecting exec: %w", err)
		}
		if !info.Running {
			return info.ExitCode, nil
		}
		if time.Now().After(deadline) {
			return -1, errors.New("the exec's output ended but Docker still reports it running")
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}
