package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// RequestOptions are the build choices shared by every verb that builds
// (build, test of a fresh build, export): how to plan, what to send with
// the request, and how to name and date the image.
type RequestOptions struct {
	// Args override recipe arguments (--set NAME=VALUE).
	Args map[string]string
	// Bases supply FROM images by reference (--base).
	Bases     map[string]builder.NamedContext
	Secrets   []builder.Secret
	Platform  string
	CacheFrom []builder.CacheSpec
	CacheTo   []builder.CacheSpec
	NoCache   bool
	// Tags name the image; empty means the target's default (DefaultTag).
	Tags []string
	// Epoch is --source-date-epoch ("" resolves it as ResolveEpoch says);
	// NoReproducible builds without one.
	Epoch          string
	NoReproducible bool
	// Progress is the display mode (builder.ProgressModes).
	Progress string
	// LookupEnv resolves env= secrets; nil means the process environment.
	LookupEnv func(string) (string, bool)
	// Locked builds with the target's lock: every input pinned as it
	// records. Frozen also refuses a lock made from other recipe inputs.
	Locked, Frozen bool
}

// BuilderOptions reach a BuildKit builder.
type BuilderOptions struct {
	// Addr is --builder; "" means $BUILDKIT_HOST.
	Addr string
	TLS  builder.TLSOptions
}

// connect reaches the builder; failing to is ErrCannot with the fix in the
// message. Docker, when given, is the engine images are loaded into.
func (o BuilderOptions) connect(ctx context.Context, d *dockerEngine) (*builder.Builder, error) {
	addr, err := builder.ResolveAddr(o.Addr, os.Getenv)
	if err != nil {
		return nil, markCannot(err)
	}
	opts := builder.ConnectOptions{TLS: o.TLS, LoadCache: LoadCacheDir(os.Getenv), LockedIndex: cacheFile("locked-builds.json"), ExportMemo: cacheFile("export-memo.json")}
	if d != nil {
		opts.Docker = d.lazy
	}
	b, err := builder.Connect(ctx, addr, opts)
	if err != nil {
		return nil, markCannot(err)
	}
	return b, nil
}

// prepareAll plans and renders every target before anything connects, so a
// typo in a recipe costs no daemon round trip. Plan warnings go to warn.
func prepareAll(rootFlag string, targets []string, o RequestOptions, warn io.Writer) ([]*Prepared, string, error) {
	var prepared []*Prepared
	root := ""
	for _, t := range targets {
		tg, err := ResolveTarget(rootFlag, t)
		if err != nil {
			return nil, "", err
		}
		root = tg.Root
		pr, err := prepareTarget(tg, o)
		if err != nil {
			return nil, "", err
		}
		for _, w := range pr.Plan.Warnings {
			fmt.Fprintf(warn, "warning: %s\n", w)
		}
		if n := len(pr.Plan.Assumptions); n > 0 {
			fmt.Fprintf(warn, "note: %s pins %d value(s) no source shows, to check on hardware; macabox plan %s lists them\n", pr.Plan.Target, n, pr.Plan.Target)
		}
		prepared = append(prepared, pr)
	}
	return prepared, root, nil
}

// prepareTarget plans and renders a resolved target, pinned to its lock
// when the options ask for a locked build.
func prepareTarget(tg *Target, o RequestOptions) (*Prepared, error) {
	return prepare(tg, o, true)
}

// prepare is prepareTarget; building checks --base against the lock, a plan
// that is only shown needs no base.
func prepare(tg *Target, o RequestOptions, building bool) (*Prepared, error) {
	opts := plan.Options{Args: o.Args}
	var l *recipe.Lock
	site := lockSiteOf(tg)
	from := ""
	if o.Locked || o.Frozen {
		var err error
		if l, from, err = site.read(); err != nil {
			return nil, err
		}
		if l == nil {
			return nil, cannot("%s has no lock (%s): run macabox lock %s first, or build without --locked", tg.Name, RelPath(from), tg.Name)
		}
		if o.Platform != "" && o.Platform != l.Platform.Value {
			return nil, cannot("the lock of %s is for %s, not --platform %s: lock it for that platform", tg.Name, l.Platform.Value, o.Platform)
		}
		opts.Lock, opts.LockFile = l, RelPath(from)
	}
	pr, err := Prepare(tg.Set, tg.Name, opts)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return pr, nil
	}
	if o.Frozen && !pr.Plan.Lock.Current {
		return nil, fmt.Errorf("%w: --frozen: %s changed since it was locked: %s; run macabox lock --update %s", ErrStale, tg.Name, changedInputs(pr.Plan, l), tg.Name)
	}
	if building {
		if err := checkLockedBases(pr.Plan, o.Bases); err != nil {
			return nil, err
		}
	}
	// The lock is an input of a locked build, for its epoch too (unless
	// the catalog's, which no git history of the project dates).
	raw, err := site.bytes(from)
	if err != nil {
		return nil, cannot("%s: %w", RelPath(from), err)
	}
	sum := sha256.Sum256(raw)
	pr.LockData, pr.LockDigest = raw, "sha256:"+hex.EncodeToString(sum[:])
	if site.onDisk(from) {
		pr.RecipeFiles = append(pr.RecipeFiles, from)
		slices.Sort(pr.RecipeFiles)
	}
	return pr, nil
}

// PlanTarget resolves and plans one target as a build of it would, pinned
// to its lock when o asks for a locked build: what `macabox plan` shows.
func PlanTarget(rootFlag, target string, o RequestOptions) (*Prepared, error) {
	tg, err := ResolveTarget(rootFlag, target)
	if err != nil {
		return nil, err
	}
	return prepare(tg, o, false)
}

// checkLockedBases holds --base to what the lock recorded for bases it took
// from an OCI layout: the same digest, from an OCI layout.
func checkLockedBases(p *plan.Plan, given map[string]builder.NamedContext) error {
	for ref, want := range p.Lock.Bases {
		nc, ok := given[ref]
		switch {
		case !ok || nc.OCILayout == "":
			return cannot("the lock takes the base image %s from an OCI layout: give it with --base %s=oci-layout://DIR@%s", ref, ref, want)
		case nc.Digest != want:
			return fmt.Errorf("the lock pins the base image %s at %s, but --base gives %s: run macabox lock --update %s to take the new one", ref, want, nc.Digest, p.Target)
		}
	}
	return nil
}

// requests completes the shared options per target: tags and epoch.
func requests(ctx context.Context, o RequestOptions, root string, prepared []*Prepared) ([]builder.Request, []Epoch, error) {
	if o.NoReproducible && o.Epoch != "" {
		return nil, nil, cannot("--no-reproducible and --source-date-epoch contradict each other")
	}
	reqs := make([]builder.Request, 0, len(prepared))
	epochs := make([]Epoch, 0, len(prepared))
	for _, pr := range prepared {
		req := pr.Request(o)
		req.Tags = o.Tags
		if len(req.Tags) == 0 {
			req.Tags = DefaultTag(pr.Plan)
		}
		var ep Epoch
		if !o.NoReproducible {
			var err error
			ep, err = ResolveEpoch(ctx, o.Epoch, os.Getenv, root, pr.RecipeFiles)
			if err != nil {
				return nil, nil, markCannot(err)
			}
			req.Epoch = &ep.Seconds
		}
		reqs = append(reqs, req)
		epochs = append(epochs, ep)
	}
	return reqs, epochs, nil
}

// withBaseHint adds the way out when a FROM image could not be fetched: most
// often it is a local image, or a registry that cannot be reached from here.
func withBaseHint(err error) error {
	if err == nil || !strings.Contains(err.Error(), "failed to resolve source metadata for") {
		return err
	}
	return &hinted{err: err, hint: "supply the base image locally with --base REF=oci-layout://DIR@sha256:<digest> (or REF=docker-image://MIRROR/REF), or check that its registry can be reached and logged in to"}
}

// hinted adds a hint line to an error and keeps the chain.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + "\nhint: " + h.hint }
func (h *hinted) Unwrap() error { return h.err }

// EnvLoadCache names the load cache's directory, or turns it off.
const EnvLoadCache = "MACABOX_LOAD_CACHE"

// LoadCacheDir is where images bound for Docker are kept between builds so
// that only new layers cross the BuildKit session: $MACABOX_LOAD_CACHE, or
// macabox/load under the user's cache directory. "off" (or no cache
// directory) streams every load through BuildKit's docker exporter.
func LoadCacheDir(getenv func(string) string) string {
	switch v := getenv(EnvLoadCache); v {
	case "off":
		return ""
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(dir, "macabox", "load")
	default:
		return v
	}
}

// cacheFile is a file of macabox's under the user's cache directory ("" when
// there is none): the locked index, which lets a locked build skip its
// solve, and the export memo, which lets a build skip its export.
func cacheFile(name string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "macabox", name)
}
