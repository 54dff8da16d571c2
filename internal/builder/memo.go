package builder

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	bkclient "github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// The export memo lets a reproducible build skip BuildKit's export when its
// result has been exported before. With rewrite-timestamp, BuildKit reads,
// rewrites and recompresses every layer of the image at each export, cached
// or not (about 46 MB/s, see docs/benchmarks.md): a no-op rebuild of a 30 GB
// image would spend ten minutes to learn a digest it already printed.
//
// So a build first solves with a raw export: the same image without the
// timestamp rewrite, which costs only a manifest and a config because the
// layers' blobs are already in BuildKit's cache. The raw manifest digest
// names the result exactly (every layer's content and the config), and the
// rewrite is a function of that result, the epoch and the exporter's
// settings on one BuildKit version. The memo maps the one to the other: when
// it knows the raw digest and every output already holds the exported image
// (Docker has its ID, or the load cache or the OCI directory has its blobs),
// the build is done without an export. Otherwise the build exports as
// always, and records the pair.

// memoFormat names the export settings the memo's entries hold for; change
// it whenever imageAttrs changes what an export writes.
const memoFormat = "macabox-export/v1"

// memoKey is the index key of a raw result exported with epoch.
func memoKey(raw string, epoch int64) string {
	return digest.FromString(fmt.Sprintf("%s %s %d", memoFormat, raw, epoch)).String()
}

// memoUsable says whether a build of req could be answered from the memo:
// it is reproducible, uses the cache, and every output is one the memo can
// check and fill (Docker, an OCI directory that exists, or none). Pushes,
// tarballs, local outputs and cache exports always export.
func (b *Builder) memoUsable(req Request) bool {
	if b.exportMemo == "" || req.Epoch == nil || req.NoCache || len(req.CacheTo) > 0 ||
		b.caps.Docker != "" || !b.caps.hasExporter(bkclient.ExporterImage) {
		return false
	}
	for _, o := range req.Outputs {
		switch {
		case o.Type == OutputLoad:
		case o.Type == OutputOCI && !isTarball(o.Dest):
			if _, err := os.Stat(filepath.Join(o.Dest, "index.json")); err != nil {
				return false // a new directory cannot hold the image yet
			}
		default:
			return false
		}
	}
	return true
}

// tryMemo answers req from the memo when it can. Otherwise it returns the
// probe, if one ran, for the export to be recorded against; nil when the
// memo does not apply to req.
func (b *Builder) tryMemo(ctx context.Context, req Request) (*probe, *Result, error) {
	if !b.memoUsable(req) {
		return nil, nil, nil
	}
	pr, err := b.probe(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	res, ok, err := b.fromMemo(ctx, req, pr)
	if err != nil || !ok {
		return pr, nil, err
	}
	return pr, res, nil
}

// probe is the raw solve of a request: its result's raw manifest digest, and
// what the display showed of it.
type probe struct {
	raw string
	tap *solveTap
}

// probe solves req with the raw export only. A failing build fails here,
// exactly as the full build would.
func (b *Builder) probe(ctx context.Context, req Request) (*probe, error) {
	bare := req
	bare.Outputs = nil
	opt, x, err := b.solveOpt(ctx, bare)
	if err != nil {
		return nil, err
	}
	defer x.release()
	attrs := imageAttrs(req.Epoch, nil, false)
	delete(attrs, "rewrite-timestamp")
	opt.Exports = []bkclient.ExportEntry{{Type: bkclient.ExporterImage, Attrs: attrs}}
	tap := req.Progress.newTap(tapProbe)
	resp, err := b.bk.Solve(ctx, nil, opt, tap.ch)
	tap.wait()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("build cancelled: %w", context.Cause(ctx))
		}
		return nil, stepError(err, tap, req.Origin)
	}
	return &probe{raw: resp.ExporterResponse["containerimage.digest"], tap: tap}, nil
}

// fromMemo finishes the build from the memo when it knows the probe's raw
// result and every output holds the image exported from it. All outputs
// are checked before any is touched, so a miss leaves nothing half done.
func (b *Builder) fromMemo(ctx context.Context, req Request, pr *probe) (*Result, bool, error) {
	if pr.raw == "" {
		return nil, false, nil
	}
	e, found := buildIndex{b.exportMemo}.lookup(memoKey(pr.raw, *req.Epoch), b.addr, b.caps.BuildKit)
	if !found {
		return nil, false, nil
	}
	manifest := e.Manifest.Digest.String()
	step := req.Progress.Start("result exported before as " + manifest)
	var (
		loadFrom string
		inDocker bool
		cache    *loadCache
	)
	defer func() {
		if cache != nil {
			_ = cache.done("")
		}
	}()
	miss := func(why string) (*Result, bool, error) {
		step.Log([]byte(why + ": exporting\n"))
		step.Done(nil)
		return nil, false, nil
	}
	for _, o := range req.Outputs {
		switch o.Type {
		case OutputOCI:
			if !layoutHolds(o.Dest, manifest) {
				return miss(o.Dest + " does not hold it")
			}
		case OutputLoad:
			has, err := b.docker.hasImage(ctx, e.Config)
			if err != nil {
				return nil, false, step.Done(err)
			}
			if has {
				inDocker = true
				continue
			}
			if dir := ociDirOutput(req.Outputs); dir != "" && layoutHolds(dir, manifest) {
				loadFrom = dir
				continue
			}
			if b.loadCache != "" && cache == nil {
				if cache, err = openLoadCache(b.loadCache); err != nil {
					return nil, false, step.Done(err)
				}
			}
			if cache == nil || !layoutHolds(cache.dir, manifest) {
				return miss("neither docker nor the load cache holds it")
			}
			loadFrom = cache.dir
		}
	}
	step.Log([]byte("every output holds it: no export\n"))
	step.Done(nil)

	res, err := b.result(req, &bkclient.SolveResponse{ExporterResponse: memoResponse(e)}, pr.tap)
	if err != nil {
		return nil, false, err
	}
	res.FromExportMemo = true
	names, err := loadNames(req.Tags)
	if err != nil {
		return nil, false, err
	}
	for _, o := range req.Outputs {
		if o.Type != OutputOCI {
			continue
		}
		if err := putIndex(o.Dest, e.Manifest, layoutNames(req.Tags)); err != nil {
			return nil, false, err
		}
	}
	if hasOutput(req, OutputLoad) {
		if err := b.memoLoad(ctx, req, res, e, inDocker, loadFrom, names); err != nil {
			return nil, false, err
		}
		if cache != nil && loadFrom == cache.dir {
			err = cache.done(e.Manifest.Digest)
			cache = nil
			if err != nil {
				return nil, false, err
			}
		}
	}
	return res, true, nil
}

// memoLoad puts the memo's image into Docker: a tag when Docker holds it,
// else a load from the layout that does.
func (b *Builder) memoLoad(ctx context.Context, req Request, res *Result, e indexEntry, inDocker bool, from string, names []string) error {
	step := req.Progress.Start("load into docker")
	if inDocker {
		dc, err := b.docker.client()
		if err != nil {
			return step.Done(err)
		}
		rep, err := tagPresent(ctx, dc, e.Config, names)
		if err != nil {
			return step.Done(err)
		}
		res.Loaded, res.AlreadyLoaded = rep.Loaded, true
		step.Log([]byte(rep.String() + "\n"))
		return step.Done(nil)
	}
	im, err := OpenLayoutImage(from, e.Manifest.Digest.String())
	if err != nil {
		return step.Done(fmt.Errorf("loading into docker: %w", err))
	}
	if im.Manifest.Config.Digest.String() != e.Config {
		return step.Done(fmt.Errorf("loading into docker: %s in %s has config %s, the memo says %s", im.Digest, from, im.Manifest.Config.Digest, e.Config))
	}
	rep, err := b.docker.loadLayout(ctx, im, req.Tags)
	if err != nil {
		return step.Done(err)
	}
	step.Log([]byte(rep.String() + "\n"))
	res.Loaded, res.AlreadyLoaded = rep.Loaded, rep.Present
	res.LayersSent, res.LayersKept = rep.Sent, rep.Kept
	return step.Done(nil)
}

// memoResponse is the exporter response the export recorded in e would
// have given, so that a result from the memo is made like any other.
func memoResponse(e indexEntry) map[string]string {
	resp := map[string]string{
		"containerimage.digest":        e.Manifest.Digest.String(),
		"containerimage.config.digest": e.Config,
	}
	if dt, err := json.Marshal(e.Manifest); err == nil {
		resp["containerimage.descriptor"] = base64.StdEncoding.EncodeToString(dt)
	}
	return resp
}

// recordExport notes in the memo which image the export of a probed result
// produced. The pair is recorded only when the export's solve took every
// Dockerfile step from the cache: then it exported the very result the
// probe named. A step that ran again (the cache was pruned in between)
// may have made another result, and nothing is recorded.
func (b *Builder) recordExport(req Request, pr *probe, exportTap *solveTap, res *Result) {
	if pr == nil || pr.raw == "" || res.ManifestDigest == "" || !exportTap.stepsCached() {
		return
	}
	desc, ok, err := exportedDescriptor(res.ExporterResponse)
	if err != nil || !ok || desc.Digest.String() != res.ManifestDigest {
		return
	}
	_ = buildIndex{b.exportMemo}.record(indexEntry{
		Inputs: memoKey(pr.raw, *req.Epoch), Builder: b.addr, BuildKitVersion: b.caps.BuildKit,
		Manifest: desc, Config: res.ConfigDigest, Time: time.Now().UTC(),
	})
}

// dockerfileStep matches the display name the Dockerfile frontend gives a
// build step: "[stage 3/7] RUN ...".
var dockerfileStep = regexp.MustCompile(`^\[[^\]]* [0-9]+/[0-9]+\] `)

// stepsCached reports whether every Dockerfile step the solve completed
// came from the cache.
func (t *solveTap) stepsCached() bool {
	for d := range t.completed {
		if dockerfileStep.MatchString(t.names[d]) && !t.cached[d] {
			return false
		}
	}
	return true
}

// layoutHolds reports whether the OCI layout in dir has the manifest, its
// config and every layer at its size.
func layoutHolds(dir, manifest string) bool {
	im, err := OpenLayoutImage(dir, manifest)
	if err != nil {
		return false
	}
	for _, l := range im.Manifest.Layers {
		p, err := layoutBlobPath(dir, l.Digest)
		if err != nil {
			return false
		}
		if fi, err := os.Stat(p); err != nil || fi.Size() != l.Size {
			return false
		}
	}
	return true
}
