package builder

import (
	"context"
	"fmt"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
)

// ResolveImage asks the builder which digest an image reference stands for
// on platform, through BuildKit's own image resolver: the registry BuildKit
// would pull from, with BuildKit's network, and no Docker. The digest is
// what a FROM line pinned to it (ref@digest) builds from.
func (b *Builder) ResolveImage(ctx context.Context, ref, platform string) (string, error) {
	plat, err := imageref.ParsePlatform(platform)
	if err != nil {
		return "", err
	}
	var dgst string
	_, err = b.bk.Build(silence(ctx), bkclient.SolveOpt{}, "macabox", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		_, d, _, err := c.ResolveImageConfig(ctx, ref, sourceresolver.Opt{
			LogName:  "resolve " + ref,
			ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &plat, ResolveMode: "pull"},
		})
		if err != nil {
			return nil, err
		}
		dgst = d.String()
		return gateway.NewResult(), nil
	}, nil)
	if err != nil {
		return "", fmt.Errorf("resolving %s for %s: %w", ref, platform, err)
	}
	return dgst, nil
}
