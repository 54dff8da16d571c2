package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// lockedFormat names the canonical form hashed into a locked-inputs digest;
// change it whenever that form changes.
const lockedFormat = "macabox-locked/v1"

// LockedInputs is the locked-inputs digest of a request: everything a
// reproducible build of it is made of once its lock pins every input. Two
// requests with the same digest give the same image on the same builder,
// which is what lets a locked rebuild skip the solve. "" when the request
// is not locked or not reproducible.
func (req Request) LockedInputs() string {
	if req.LockDigest == "" || req.Epoch == nil {
		return ""
	}
	type context struct{ Name, Layout, Digest, Image string }
	var ctxs []context
	for name, nc := range req.Contexts {
		ctxs = append(ctxs, context{name, nc.OCILayout, nc.Digest, nc.Image})
	}
	sort.Slice(ctxs, func(i, j int) bool { return ctxs[i].Name < ctxs[j].Name })
	df := sha256.Sum256(req.Dockerfile)
	raw, _ := json.Marshal(struct {
		Format, Inputs, Lock, Dockerfile, Target, Platform string
		Epoch                                              int64
		Args                                               map[string]string
		Contexts                                           []context
	}{lockedFormat, req.InputsHash, req.LockDigest, hex.EncodeToString(df[:]), req.Target, req.Platform, *req.Epoch, req.Args, ctxs})
	return digest.FromBytes(raw).String()
}

// errNotThere says an output does not hold the recorded image, so the
// locked build must solve.
var errNotThere = errors.New("not in the output")

// shortCircuit answers a locked build from the index when every output
// already holds the image its locked inputs produced on this builder: Docker
// has the image ID (it is tagged), an OCI directory has every blob (it is
// indexed), a registry resolves every tag to the manifest. An output that
// cannot be checked (a tarball, a local directory) or none at all means a
// solve. ok is false whenever the build must run.
func (b *Builder) shortCircuit(ctx context.Context, req Request) (res *Result, ok bool, err error) {
	inputs := req.LockedInputs()
	if inputs == "" || req.NoCache || b.lockedIndex == "" || len(req.Outputs) == 0 || b.caps.Docker != "" {
		return nil, false, nil
	}
	e, found := buildIndex{b.lockedIndex}.lookup(inputs, b.addr, b.caps.BuildKit)
	if !found {
		return nil, false, nil
	}
	step := req.Progress.Start("locked inputs unchanged: looking for " + e.Manifest.Digest.String())
	for _, o := range req.Outputs {
		if err := b.holds(ctx, o, req, e); err != nil {
			if errors.Is(err, errNotThere) {
				step.Log([]byte(err.Error() + ": building\n"))
				step.Done(nil)
				return nil, false, nil
			}
			return nil, false, step.Done(err)
		}
	}
	step.Log([]byte("every output holds it: no solve\n"))
	step.Done(nil)
	return &Result{
		Name: req.Name, ManifestDigest: e.Manifest.Digest.String(), ConfigDigest: e.Config, MediaType: e.Manifest.MediaType,
		Tags: append([]string(nil), req.Tags...), Platform: req.Platform, Builder: b.addr, BuildKitVersion: b.caps.BuildKit,
		Epoch: req.Epoch, BaseDigests: e.BaseDigests, InputsHash: req.InputsHash, LockedInputs: inputs, FromLockedIndex: true,
		AlreadyLoaded: hasOutput(req, OutputLoad),
	}, true, nil
}

// holds checks that output o has the image of e, and finishes its naming:
// tags in Docker, the index of an OCI directory.
func (b *Builder) holds(ctx context.Context, o Output, req Request, e indexEntry) error {
	switch {
	case o.Type == OutputLoad:
		has, err := b.docker.hasImage(ctx, e.Config)
		if err != nil {
			return err
		}
		if !has {
			return fmt.Errorf("docker has no image %s: %w", e.Config, errNotThere)
		}
		dc, err := b.docker.client()
		if err != nil {
			return err
		}
		names, err := loadNames(req.Tags)
		if err != nil {
			return err
		}
		_, err = tagPresent(ctx, dc, e.Config, names)
		return err
	case o.Type == OutputOCI && !isTarball(o.Dest):
		if !layoutHolds(o.Dest, e.Manifest.Digest.String()) {
			return fmt.Errorf("%s does not hold %s: %w", o.Dest, e.Manifest.Digest, errNotThere)
		}
		return putIndex(o.Dest, e.Manifest, layoutNames(req.Tags))
	case o.Type == OutputPush:
		for _, t := range req.Tags {
			got, err := b.ResolveImage(ctx, t, req.Platform)
			if err != nil || got != e.Manifest.Digest.String() {
				return fmt.Errorf("%s does not resolve to %s: %w", t, e.Manifest.Digest, errNotThere)
			}
		}
		return nil
	}
	return fmt.Errorf("a %s output cannot be checked: %w", o.Type, errNotThere)
}

// recordLocked notes in the index which image a locked build produced.
// Failing to is not a build failure: the next locked build only solves.
func (b *Builder) recordLocked(req Request, res *Result) {
	if res.LockedInputs == "" || b.lockedIndex == "" || res.ManifestDigest == "" || res.FromLockedIndex {
		return
	}
	desc, ok, err := exportedDescriptor(res.ExporterResponse)
	if err != nil || !ok || desc.Digest.String() != res.ManifestDigest {
		return
	}
	_ = buildIndex{b.lockedIndex}.record(indexEntry{
		Inputs: res.LockedInputs, Builder: b.addr, BuildKitVersion: b.caps.BuildKit,
		Manifest: desc,
		Config:   res.ConfigDigest, BaseDigests: res.BaseDigests, Time: time.Now().UTC(),
	})
}
