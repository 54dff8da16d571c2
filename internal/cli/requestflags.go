package cli

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

// requestFlags are the build choices of every verb that builds (build and
// export): arguments, bases, secrets, platform, cache, epoch, names.
type requestFlags struct {
	sets, bases, secrets []string
	cacheFrom, cacheTo   []string
	tags                 []string
	platform             string
	noCache              bool
	progress             string
	epoch                string
	locked, frozen       bool
}

// bind adds the flags; tagHelp says what the image name is for.
func (r *requestFlags) bind(f *pflag.FlagSet, tagHelp string) {
	f.StringArrayVar(&r.sets, "set", nil, "override a build argument, NAME=VALUE (repeatable)")
	f.StringArrayVar(&r.bases, "base", nil, "supply a FROM image: REF=oci-layout://DIR@sha256:... or REF=docker-image://REF (repeatable)")
	f.StringArrayVar(&r.secrets, "secret", nil, "build secret: id=NAME,src=FILE or id=NAME,env=VAR (repeatable; never stored in the image, the metadata, a bundle or the logs)")
	f.StringArrayVarP(&r.tags, "tag", "t", nil, tagHelp)
	f.StringArrayVar(&r.cacheFrom, "cache-from", nil, "import build cache: type=local,src=DIR or type=registry,ref=REF")
	f.StringArrayVar(&r.cacheTo, "cache-to", nil, "export build cache: type=local,dest=DIR or type=registry,ref=REF")
	f.StringVar(&r.platform, "platform", "", "target platform (default: the recipe's, else linux/amd64)")
	f.BoolVar(&r.noCache, "no-cache", false, "rebuild every step")
	f.StringVar(&r.progress, "progress", "auto", "progress display: "+strings.Join(builder.ProgressModes, ", "))
	f.StringVar(&r.epoch, "source-date-epoch", "", "SOURCE_DATE_EPOCH for the build (default: see the command's help)")
	f.BoolVar(&r.locked, "locked", false, "build with the target's lock file: every input pinned as it records (see macabox lock)")
	f.BoolVar(&r.frozen, "frozen", false, "like --locked, and fail when the recipes changed since the lock was made")
}

// options parses the flags, so a typo fails before any work.
func (r *requestFlags) options() (pipeline.RequestOptions, error) {
	o := pipeline.RequestOptions{
		Platform: r.platform, NoCache: r.noCache, Tags: r.tags, Epoch: r.epoch, Progress: r.progress,
		Locked: r.locked, Frozen: r.frozen,
		Bases: map[string]builder.NamedContext{},
	}
	var err error
	if o.Args, err = parseSets(r.sets); err != nil {
		return o, err
	}
	if o.Bases, err = parseBases(r.bases); err != nil {
		return o, err
	}
	if o.Secrets, err = parseSecrets(r.secrets); err != nil {
		return o, err
	}
	for _, v := range r.cacheFrom {
		c, err := builder.ParseCache(v)
		if err != nil {
			return o, cannot("--cache-from: %w", err)
		}
		o.CacheFrom = append(o.CacheFrom, c)
	}
	for _, v := range r.cacheTo {
		c, err := builder.ParseCache(v)
		if err != nil {
			return o, cannot("--cache-to: %w", err)
		}
		o.CacheTo = append(o.CacheTo, c)
	}
	return o, nil
}

// parseSets reads repeated NAME=VALUE flags. The value is kept byte for byte.
func parseSets(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, cannot("--set %q: want NAME=VALUE", p)
		}
		if _, dup := out[k]; dup {
			return nil, cannot("--set %s given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func parseBases(flags []string) (map[string]builder.NamedContext, error) {
	out := map[string]builder.NamedContext{}
	for _, b := range flags {
		ref, nc, err := builder.ParseBase(b)
		if err != nil {
			return nil, cannot("%w", err)
		}
		out[ref] = nc
	}
	return out, nil
}

func parseSecrets(flags []string) ([]builder.Secret, error) {
	var out []builder.Secret
	for _, v := range flags {
		sec, err := builder.ParseSecret(v)
		if err != nil {
			return nil, cannot("--secret: %w", err)
		}
		out = append(out, sec)
	}
	return out, nil
}
