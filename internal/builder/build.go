package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/util/bklog"
	digest "github.com/opencontainers/go-digest"
	"github.com/sirupsen/logrus"
	"github.com/tonistiigi/fsutil"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
)

// ImageBuilder is what the CLI needs from a builder; tests and decorators
// can stand in for *Builder.
type ImageBuilder interface {
	// Capabilities is what the builder can do.
	Capabilities() Capabilities
	// Check reports, before any work, what in req the builder cannot do.
	Check(req Request) error
	// Build builds one image.
	Build(ctx context.Context, req Request) (*Result, error)
	// BuildMany builds several images of one invocation in order, sharing
	// bases between them.
	BuildMany(ctx context.Context, reqs []Request) ([]*Result, error)
	// Close releases the connection.
	Close() error
}

var _ ImageBuilder = (*Builder)(nil)

// Request is one image to build from a rendered Dockerfile.
type Request struct {
	// Name identifies the request in BuildMany and in messages (a target).
	Name string
	// Dockerfile is the rendered Dockerfile, built by the dockerfile.v0
	// frontend that every BuildKit has built in, and by no other: a syntax
	// directive in it is not obeyed.
	Dockerfile []byte
	// Target is a stage of the Dockerfile to stop at ("" = the last).
	Target string
	// Files is the build context: name inside the context → file on disk.
	// With Contents, nothing else is sent.
	Files map[string]string
	// Contents are files of the context given by their bytes, for files
	// that exist only inside macabox (its catalog); they are sent with mode
	// 0644.
	Contents map[string][]byte
	// Args are build args (--set K=V). Never put secrets here.
	Args map[string]string
	// Platform is "os/arch[/variant]"; "" means the builder's own.
	Platform string
	// Contexts are named contexts keyed by the FROM name they replace.
	Contexts map[string]NamedContext
	// Secrets are mounted by RUN --mount=type=secret,id=ID.
	Secrets []Secret
	// Epoch is SOURCE_DATE_EPOCH in seconds. Non-nil makes the build
	// reproducible (and requires a builder that can); nil does not.
	Epoch *int64
	// Outputs are where the image goes; none means build only (cache).
	Outputs []Output
	// Tags name the image for load and push.
	Tags []string
	// CacheFrom and CacheTo import and export build cache.
	CacheFrom []CacheSpec
	CacheTo   []CacheSpec
	// NoCache rebuilds every step.
	NoCache bool
	// Origin maps failing Dockerfile lines back to the recipe.
	Origin LineOrigin
	// InputsHash is the caller's hash of the recipe inputs, recorded in the
	// metadata.
	InputsHash string
	// LockDigest is the digest of the lock file a locked build pins its
	// inputs with; with InputsHash and the rest of the request it makes
	// the locked-inputs digest (LockedInputs).
	LockDigest string
	// Progress is the display to report on; nil shows nothing.
	Progress *Progress
	// LookupEnv resolves env= secrets; nil means the process environment.
	LookupEnv func(string) (string, bool)
}

// NamedContext replaces a FROM image. Exactly one field group is set.
type NamedContext struct {
	// OCILayout is a local OCI layout directory; Digest names the image in
	// it (layouts are addressed by digest only).
	OCILayout string
	Digest    string
	// Image is a registry reference, best pinned by digest.
	Image string
	// Target is the Name of an earlier request of the same BuildMany.
	Target string
}

// Result is what a build produced.
type Result struct {
	Name string
	// ManifestDigest is the per-platform image manifest digest: the value to
	// compare between rebuilds. Empty on Docker's embedded builder, which
	// writes no manifest (ConfigDigest, the image ID, stands in).
	ManifestDigest  string
	ConfigDigest    string
	MediaType       string
	Tags            []string
	Platform        string
	Builder         string
	BuildKitVersion string
	Epoch           *int64
	// BaseDigests are the resolved FROM images: reference → digest.
	BaseDigests map[string]string
	InputsHash  string
	// LockedInputs is the request's locked-inputs digest, and
	// FromLockedIndex says the image came from the locked index without a
	// solve, every output already holding it.
	LockedInputs    string
	FromLockedIndex bool
	// FromExportMemo says the export was skipped: the export memo knew the
	// image this build's result exports to, and every output held it.
	FromExportMemo bool
	// Loaded is what Docker reported after a load.
	Loaded []string
	// AlreadyLoaded says Docker held the image before the build: the load
	// only tagged it. LayersSent and LayersKept count, for a load through
	// a layout, the layers that went to Docker and those it already had.
	AlreadyLoaded          bool
	LayersSent, LayersKept int
	// Steps and CachedSteps count the completed build steps and those
	// BuildKit took from cache; CachedStepNames names the latter.
	Steps           int
	CachedSteps     int
	CachedStepNames []string
	// ExporterResponse is BuildKit's raw answer, for callers that need more.
	ExporterResponse map[string]string
	Duration         time.Duration
}

// frontendPinned is the frontend attribute that keeps the build in the
// built-in dockerfile.v0 frontend. Without it, dockerfile.v0 hands the
// whole build to whatever image a "# syntax=" directive (or a
// BUILDKIT_SYNTAX build argument) names: an image pulled and run with the
// build's context and secrets. The frontend treats a request that carries
// the attribute as one already forwarded, and builds the Dockerfile itself;
// only its presence counts. BuildKit has read it since before v0.8.
const frontendPinned = "cmdline"

const (
	localContext    = "context"
	localDockerfile = "dockerfile"
	dockerfileName  = "Dockerfile"
)

// Build checks req against the builder's capabilities and builds it.
func (b *Builder) Build(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if err := validateRequest(req); err != nil {
		return nil, err
	}
	if err := b.Check(req); err != nil {
		return nil, err
	}
	ctx = silence(ctx)
	if res, ok, err := b.shortCircuit(ctx, req); err != nil || ok {
		if res != nil {
			res.Duration = time.Since(start)
		}
		return res, err
	}
	pr, res, err := b.tryMemo(ctx, req)
	if err != nil {
		return nil, err
	}
	if res != nil {
		res.LockedInputs = req.LockedInputs()
		b.recordLocked(req, res)
		res.Duration = time.Since(start)
		return res, nil
	}
	opt, x, err := b.solveOpt(ctx, req)
	if err != nil {
		return nil, err
	}
	defer x.release()
	tap := req.Progress.tap()
	if pr != nil {
		// The probe showed the build; this solve repeats it from the
		// cache, and only the export is news.
		tap = req.Progress.newTap(tapRepeat)
	}
	resp, err := b.bk.Solve(ctx, nil, opt, tap.ch)
	tap.wait()
	loaded, loadErr := finishLoads(x.loads, err)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("build cancelled: %w", context.Cause(ctx))
		}
		return nil, stepError(err, tap, req.Origin)
	}
	if loadErr != nil {
		return nil, loadErr
	}
	shown := tap
	if pr != nil {
		shown = pr.tap
	}
	res, err = b.result(req, resp, shown)
	if err != nil {
		return nil, err
	}
	b.recordExport(req, pr, tap, res)
	for _, dir := range x.layouts {
		if err := indexLayout(dir, resp.ExporterResponse); err != nil {
			return nil, err
		}
	}
	res.Loaded = loaded
	if x.loadFrom != "" {
		if err := b.loadAfterBuild(ctx, req, x, res); err != nil {
			return nil, err
		}
	}
	res.LockedInputs = req.LockedInputs()
	b.recordLocked(req, res)
	res.Duration = time.Since(start)
	return res, nil
}

// loadAfterBuild loads the image just exported into the layout x.loadFrom
// into Docker, reporting on its own progress step.
func (b *Builder) loadAfterBuild(ctx context.Context, req Request, x *exportPlan, res *Result) error {
	step := req.Progress.Start("load into docker")
	if res.ManifestDigest == "" {
		return step.Done(errors.New("the exporter named no image manifest to load"))
	}
	im, err := OpenLayoutImage(x.loadFrom, res.ManifestDigest)
	if err != nil {
		return step.Done(fmt.Errorf("loading into docker: %w", err))
	}
	rep, err := b.docker.loadLayout(ctx, im, req.Tags)
	if err != nil {
		return step.Done(err)
	}
	step.Log([]byte(rep.String() + "\n"))
	step.Done(nil)
	res.Loaded, res.AlreadyLoaded = rep.Loaded, rep.Present
	res.LayersSent, res.LayersKept = rep.Sent, rep.Kept
	if x.cache != nil {
		// Only a load that worked counts as a use of the cache's blobs.
		err = x.cache.done(im.Digest)
		x.cache = nil
	}
	return err
}

// silence keeps BuildKit's client from logging through logrus's global
// logger: this package writes only to the writers it is given.
func silence(ctx context.Context) context.Context {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return bklog.WithLogger(ctx, logrus.NewEntry(l))
}

func validateRequest(req Request) error {
	var errs []error
	if len(req.Dockerfile) == 0 {
		errs = append(errs, errors.New("empty Dockerfile"))
	}
	for _, t := range req.Tags {
		if _, err := imageref.Parse(t); err != nil {
			errs = append(errs, fmt.Errorf("tag: %w", err))
		}
	}
	if req.Platform != "" {
		if _, err := imageref.ParsePlatform(req.Platform); err != nil {
			errs = append(errs, err)
		}
	}
	for name, nc := range req.Contexts {
		if _, err := imageref.Parse(name); err != nil {
			errs = append(errs, fmt.Errorf("base: %w", err))
			continue
		}
		set := 0
		for _, s := range []string{nc.OCILayout, nc.Image, nc.Target} {
			if s != "" {
				set++
			}
		}
		if set != 1 {
			errs = append(errs, fmt.Errorf("base %q: give exactly one of an OCI layout, an image or a target", name))
			continue
		}
		if nc.OCILayout != "" {
			if _, err := digest.Parse(nc.Digest); err != nil {
				errs = append(errs, fmt.Errorf("base %q: OCI layout %s needs the image's digest (sha256:...): %w", name, nc.OCILayout, err))
			}
		}
		if nc.Target != "" {
			errs = append(errs, fmt.Errorf("base %q: target %q can only be used with BuildMany", name, nc.Target))
		}
	}
	return errors.Join(errs...)
}

func (b *Builder) solveOpt(ctx context.Context, req Request) (opt bkclient.SolveOpt, x *exportPlan, err error) {
	var mtime int64
	if req.Epoch != nil {
		mtime = *req.Epoch * int64(time.Second)
	}
	step := req.Progress.Start("prepare build context")
	ctxFS, err := newFileContext(req.Files, req.Contents, mtime)
	if err != nil {
		return opt, nil, step.Done(err)
	}
	dfFS := newBytesContext(dockerfileName, req.Dockerfile, mtime)
	step.Done(nil)

	attrs := map[string]string{"filename": dockerfileName, frontendPinned: ""}
	if req.Target != "" {
		attrs["target"] = req.Target
	}
	if req.Platform != "" {
		attrs["platform"] = req.Platform
	}
	if req.NoCache {
		attrs["no-cache"] = ""
	}
	for k, v := range req.Args {
		attrs["build-arg:"+k] = v
	}
	if req.Epoch != nil {
		attrs["build-arg:SOURCE_DATE_EPOCH"] = strconv.FormatInt(*req.Epoch, 10)
	}
	stores := map[string]content.Store{}
	for name, nc := range req.Contexts {
		v, storeID, store, err := namedContextValue(nc)
		if err != nil {
			return opt, nil, fmt.Errorf("base %q: %w", name, err)
		}
		attrs["context:"+namedContextKey(name)] = v
		if store != nil {
			stores[storeID] = store
		}
	}

	var attachables []session.Attachable
	lookup := req.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	sec, err := secretsAttachable(req.Secrets, lookup)
	if err != nil {
		return opt, nil, err
	}
	if sec != nil {
		attachables = append(attachables, sec)
	}

	if b.caps.Docker == "" && hasOutput(req, OutputLoad) {
		if err := b.docker.ping(ctx); err != nil {
			return opt, nil, err
		}
	}
	x, err = b.exports(ctx, req, req.Progress)
	if err != nil {
		return opt, nil, err
	}
	return bkclient.SolveOpt{
		Exports:       x.entries,
		LocalMounts:   map[string]fsutil.FS{localContext: ctxFS, localDockerfile: dfFS},
		OCIStores:     stores,
		SharedKey:     ctxFS.stamp + dfFS.stamp,
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		CacheExports:  cacheEntries(req.CacheTo, true),
		CacheImports:  cacheEntries(req.CacheFrom, false),
		Session:       attachables,
	}, x, nil
}

func hasOutput(req Request, t OutputType) bool {
	for _, o := range req.Outputs {
		if o.Type == t {
			return true
		}
	}
	return false
}

// namedContextKey is the key the Dockerfile frontend looks a FROM image up by:
// a base given for docker.io/library/debian:latest must be sent as
// context:debian. Requests were validated, so name parses.
func namedContextKey(name string) string {
	ref, err := imageref.Parse(name)
	if err != nil {
		return name
	}
	return ref.ContextName()
}

// namedContextValue is the frontend's context:NAME value. OCI layouts are
// sent over the session as content stores; the store id is derived from the
// layout's digest so it is stable between runs.
func namedContextValue(nc NamedContext) (value, storeID string, store content.Store, err error) {
	if nc.Image != "" {
		return "docker-image://" + nc.Image, "", nil, nil
	}
	if fi, err := os.Stat(filepath.Join(nc.OCILayout, "blobs")); err != nil || !fi.IsDir() {
		return "", "", nil, fmt.Errorf("%s is not an OCI layout (no blobs directory)", nc.OCILayout)
	}
	store, err = newLayoutStore(nc.OCILayout)
	if err != nil {
		return "", "", nil, fmt.Errorf("OCI layout %s: %w", nc.OCILayout, err)
	}
	d := digest.Digest(nc.Digest)
	if _, err := store.Info(context.Background(), d); err != nil {
		return "", "", nil, fmt.Errorf("OCI layout %s has no blob %s: %w", nc.OCILayout, d, err)
	}
	storeID = "macabox-" + d.Encoded()[:16]
	return "oci-layout://" + storeID + "@" + d.String(), storeID, store, nil
}

// finishLoads waits for Docker to answer each load. When the solve failed
// the loads are aborted so no goroutine or request is left behind.
func finishLoads(loads []*loadWriter, solveErr error) ([]string, error) {
	var loaded []string
	var errs []error
	for _, lw := range loads {
		if solveErr != nil {
			lw.pw.CloseWithError(solveErr)
		}
		if err := lw.Close(); err != nil && solveErr == nil {
			errs = append(errs, err)
		}
		loaded = append(loaded, lw.loaded...)
	}
	return loaded, errors.Join(errs...)
}

func (b *Builder) result(req Request, resp *bkclient.SolveResponse, tap *solveTap) (*Result, error) {
	er := resp.ExporterResponse
	res := &Result{
		Name:             req.Name,
		Tags:             append([]string(nil), req.Tags...),
		Platform:         req.Platform,
		Builder:          b.addr,
		BuildKitVersion:  b.caps.BuildKit,
		Epoch:            req.Epoch,
		InputsHash:       req.InputsHash,
		ExporterResponse: er,
		BaseDigests:      map[string]string{},
	}
	res.ConfigDigest = er["containerimage.config.digest"]
	desc, ok, err := exportedDescriptor(er)
	if err != nil {
		return nil, err
	}
	if ok {
		res.ManifestDigest, res.MediaType = desc.Digest.String(), desc.MediaType
	} else if d := er["containerimage.digest"]; d != "" {
		if b.caps.Docker != "" {
			// The moby exporter answers with the image ID.
			res.ConfigDigest = d
		} else {
			res.ManifestDigest = d
		}
	}
	for ref, d := range tap.bases {
		res.BaseDigests[ref] = d
	}
	for name, nc := range req.Contexts {
		switch {
		case nc.OCILayout != "":
			res.BaseDigests[name] = nc.Digest
		case nc.Image != "":
			if ref, err := imageref.Parse(nc.Image); err == nil && ref.Digest() != "" {
				res.BaseDigests[name] = ref.Digest()
			}
		}
	}
	res.Steps, res.CachedSteps, res.CachedStepNames = tap.stats()
	return res, nil
}
