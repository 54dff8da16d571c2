package smoke

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// ImageLabels returns the labels of a local image, so that `macabox test
// IMAGE` can find the recipe an image was built from.
func ImageLabels(ctx context.Context, image string) (map[string]string, error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	res, err := cli.ImageInspect(ctx, image)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, fmt.Errorf("image %s is not in Docker's image store (build it with --load first)", image)
		}
		return nil, fmt.Errorf("inspecting image %s: %w", image, err)
	}
	if res.Config == nil {
		return map[string]string{}, nil
	}
	return res.Config.Labels, nil
}

// DockerVersion returns the Docker engine's version, for doctor and reports.
func DockerVersion(ctx context.Context) (string, error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return "", err
	}
	defer cli.Close()
	v, err := cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", fmt.Errorf("asking Docker for its version: %w", err)
	}
	return v.Version, nil
}
