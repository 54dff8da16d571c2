package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moby/moby/client"
)

// Image is what macabox reads of a local image.
type Image struct {
	// ID is the image ID, the digest of its config.
	ID     string
	Labels map[string]string
	Env    []string
	// RepoDigests are the registry manifest digests the image is known by
	// (repo@sha256:...); empty for an image that was built or loaded, not
	// pulled.
	RepoDigests []string
}

// Image inspects a local image; a missing one wraps ErrNotFound.
func (c *Client) Image(ctx context.Context, ref string) (Image, error) {
	res, err := c.c.ImageInspect(ctx, ref)
	if err != nil {
		return Image{}, notFound(err)
	}
	im := Image{ID: res.ID, Labels: map[string]string{}, RepoDigests: res.RepoDigests}
	if res.Config != nil {
		if res.Config.Labels != nil {
			im.Labels = res.Config.Labels
		}
		im.Env = res.Config.Env
	}
	return im, nil
}

// Load streams a docker-archive tarball into the engine's image store and
// returns what Docker reported ("Loaded image: ..."). A tarball Docker
// refuses is an error, never a silent pass.
func (c *Client) Load(ctx context.Context, r io.Reader) ([]string, error) {
	resp, err := c.c.ImageLoad(ctx, r, client.ImageLoadWithQuiet(true))
	if err != nil {
		return nil, fmt.Errorf("loading into docker: %w", err)
	}
	defer resp.Close()
	var loaded []string
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
				return loaded, nil
			}
			return loaded, fmt.Errorf("loading into docker: reading the response: %w", err)
		}
		if msg.ErrorDetail != nil && msg.ErrorDetail.Message != "" {
			return loaded, fmt.Errorf("loading into docker: %s", msg.ErrorDetail.Message)
		}
		if msg.Error != "" {
			return loaded, fmt.Errorf("loading into docker: %s", msg.Error)
		}
		if s := strings.TrimSpace(msg.Stream); s != "" {
			loaded = append(loaded, s)
		}
	}
}
