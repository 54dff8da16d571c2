package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/moby/moby/client"
)

// maxInspected bounds how many images LayerChains looks into, so that a
// host with thousands of images does not spend longer finding layers than
// loading them would take.
const maxInspected = 2000

// LayerChains returns the chain IDs of every layer stack the engine's local
// images hold ("sha256:…"). A chain ID names a layer together with every
// layer under it, which is how Docker's store identifies layers: a load can
// leave out a layer whose chain Docker already has (see KeepsLayersByChain).
func (c *Client) LayerChains(ctx context.Context) (map[string]bool, error) {
	list, err := c.c.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing docker images: %w", err)
	}
	chains := map[string]bool{}
	for i, im := range list.Items {
		if i == maxInspected {
			break
		}
		res, err := c.c.ImageInspect(ctx, im.ID)
		if err != nil {
			continue // removed since it was listed
		}
		if res.RootFS.Type != "" && res.RootFS.Type != "layers" {
			continue
		}
		for _, id := range ChainIDs(res.RootFS.Layers) {
			chains[id] = true
		}
	}
	return chains, nil
}

// ChainIDs are the chain IDs of a stack of layers given by their diff IDs,
// bottom first: the first is the first diff ID, each next one the digest of
// "<chain below> <diff ID>" (the OCI image spec's definition).
func ChainIDs(diffIDs []string) []string {
	out := make([]string, 0, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out = append(out, d)
			continue
		}
		sum := sha256.Sum256([]byte(out[i-1] + " " + d))
		out = append(out, "sha256:"+hex.EncodeToString(sum[:]))
	}
	return out
}

// KeepsLayersByChain reports whether the engine keeps images in its own
// layer store (graph drivers such as overlay2), whose image load reads the
// file of a layer only when no layer with that chain exists yet. An engine
// on the containerd image store imports every blob of the archive, so a
// load must carry them all.
func (c *Client) KeepsLayersByChain(ctx context.Context) (bool, error) {
	res, err := c.c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return false, fmt.Errorf("docker info: %w", err)
	}
	for _, kv := range res.Info.DriverStatus {
		if kv[0] == "driver-type" && kv[1] == "io.containerd.snapshotter.v1" {
			return false, nil
		}
	}
	return true, nil
}

// Tag gives the image source (an ID or a reference) the name target.
func (c *Client) Tag(ctx context.Context, source, target string) error {
	if _, err := c.c.ImageTag(ctx, client.ImageTagOptions{Source: source, Target: target}); err != nil {
		return fmt.Errorf("tagging %s as %s: %w", source, target, err)
	}
	return nil
}
