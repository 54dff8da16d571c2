package docker

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// ContainerState is what macabox reads of a container.
type ContainerState struct {
	Running bool
	// Env is the container's environment: the image's, then its own.
	Env []string
	// Image is the ID of the image it runs (the digest of its config).
	Image string
}

// Container inspects a container; a missing one wraps ErrNotFound.
func (c *Client) Container(ctx context.Context, id string) (ContainerState, error) {
	info, err := c.c.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return ContainerState{}, notFound(err)
	}
	st := ContainerState{Image: info.Container.Image}
	if info.Container.State != nil {
		st.Running = info.Container.State.Running
	}
	if info.Container.Config != nil {
		st.Env = info.Container.Config.Env
	}
	return st, nil
}

// LogTail is the last lines of a container's own output, stdout and stderr
// together, at most limit bytes.
func (c *Client) LogTail(ctx context.Context, id string, lines, limit int) (string, error) {
	logs, err := c.c.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(lines)})
	if err != nil {
		return "", err
	}
	defer logs.Close()
	out := &limitedBuffer{limit: limit}
	_, err = stdcopy.StdCopy(out, out, logs)
	return out.String(), err
}

// limitedBuffer keeps the first limit bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// Remove removes a container and its volumes, running or not. A container
// already gone is no error; one whose removal is already in progress is
// waited for.
func (c *Client) Remove(ctx context.Context, id string) error {
	_, err := c.c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil, cerrdefs.IsNotFound(err):
		return nil
	case cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "already in progress"):
		// The listing that found it raced with its own removal.
		return c.waitGone(ctx, id)
	}
	return err
}

func (c *Client) waitGone(ctx context.Context, id string) error {
	for {
		if _, err := c.c.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); cerrdefs.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for container %s to be removed: %w", id, context.Cause(ctx))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Listed is one container of a listing.
type Listed struct {
	ID     string
	Name   string
	Labels map[string]string
}

// Labelled lists the containers, running or not, that carry all labels.
func (c *Client) Labelled(ctx context.Context, labels map[string]string) ([]Listed, error) {
	f := make(client.Filters)
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	list, err := c.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing containers: %w", err)
	}
	out := make([]Listed, 0, len(list.Items))
	for _, it := range list.Items {
		l := Listed{ID: it.ID, Name: it.ID[:min(12, len(it.ID))], Labels: it.Labels}
		if len(it.Names) > 0 {
			l.Name = strings.TrimPrefix(it.Names[0], "/")
		}
		out = append(out, l)
	}
	return out, nil
}
