package pipeline

import (
	"sort"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Prepared is a target planned and rendered, ready to build.
type Prepared struct {
	Plan     *plan.Plan
	Rendered *plan.Rendered
	// RecipeFiles are the recipe documents and context files on disk the
	// target is made of (absolute paths), for the epoch.
	RecipeFiles []string
	// LockData is the lock a locked build pins its inputs with, as read
	// when the target was planned, and LockDigest its digest (both empty
	// when not locked).
	LockData   []byte
	LockDigest string
	// References is the folder of the target's recorded references.
	References string
}

// Prepare plans and renders one target of set.
func Prepare(set *recipe.Set, target string, opts plan.Options) (*Prepared, error) {
	p, err := plan.New(set, target, opts)
	if err != nil {
		return nil, err
	}
	r, err := plan.Render(p)
	if err != nil {
		return nil, err
	}
	// Only files on disk: the catalog's are versioned with macabox, not
	// with the project's git history that dates a build.
	files := map[string]bool{}
	for _, name := range append(append(append([]string{}, p.Images...), p.Layers...), p.Target) {
		if d, ok := set.Lookup(name); ok && d.Embedded == nil {
			files[d.File] = true
		}
	}
	for _, c := range p.Context {
		if c.Path != "" {
			files[c.Path] = true
		}
	}
	list := make([]string, 0, len(files))
	for f := range files {
		list = append(list, f)
	}
	sort.Strings(list)
	return &Prepared{Plan: p, Rendered: r, RecipeFiles: list, References: referenceDir(set, p.Target)}, nil
}

// Request turns a prepared target into the BuildKit request that builds it:
// exactly the rendered Dockerfile and exactly the files it copies. The
// request's tags, epoch and outputs are the caller's.
func (pr *Prepared) Request(o RequestOptions) builder.Request {
	p, r := pr.Plan, pr.Rendered
	files, contents := r.ContextFiles()
	platform := o.Platform
	if platform == "" {
		platform = p.Platform
	}
	return builder.Request{
		Name:       p.Target,
		Dockerfile: r.Dockerfile,
		Files:      files,
		Contents:   contents,
		Platform:   platform,
		Contexts:   usedBases(r.BaseRefs, o.Bases),
		Secrets:    o.Secrets,
		CacheFrom:  o.CacheFrom,
		CacheTo:    o.CacheTo,
		NoCache:    o.NoCache,
		Origin:     lineOrigin(r),
		InputsHash: p.InputsDigest,
		LockDigest: pr.LockDigest,
		LookupEnv:  o.LookupEnv,
	}
}

// usedBases keeps the --base mappings that this Dockerfile's FROM lines use.
// A FROM a lock pinned (ref@digest) still takes a registry mirror given for
// ref, pinned to the same digest.
func usedBases(refs []string, bases map[string]builder.NamedContext) map[string]builder.NamedContext {
	out := map[string]builder.NamedContext{}
	for _, ref := range refs {
		if nc, ok := bases[ref]; ok {
			out[ref] = nc
			continue
		}
		name, dgst, pinned := strings.Cut(ref, "@")
		if nc, ok := bases[name]; ok && pinned && nc.Image != "" {
			image, _, _ := strings.Cut(nc.Image, "@")
			out[ref] = builder.NamedContext{Image: image + "@" + dgst}
		}
	}
	return out
}

// lineOrigin maps a Dockerfile line back to "recipes/x.yaml:12:5".
func lineOrigin(r *plan.Rendered) builder.LineOrigin {
	return func(line int) (string, bool) {
		o, ok := r.Origin(line)
		if !ok || o.Pos.File == "" {
			return "", false
		}
		return o.Pos.String(), true
	}
}

// DefaultTag is the name a target's image gets when none is asked for: the
// stack's own tags, else macabox.local/<target>:latest, which `macabox test
// TARGET` looks for.
func DefaultTag(p *plan.Plan) []string {
	if len(p.Tags) > 0 {
		return append([]string(nil), p.Tags...)
	}
	return []string{ImageFor(p.Target)}
}

// ImageFor is the local image name of a target built without --tag.
func ImageFor(target string) string { return "macabox.local/" + target + ":latest" }
