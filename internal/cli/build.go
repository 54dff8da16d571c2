package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
)

type buildOptions struct {
	*globalOptions
	builderFlags
	targets        []string
	sets           []string
	bases          []string
	secrets        []string
	outputs        []string
	tags           []string
	load, push     bool
	cacheFrom      []string
	cacheTo        []string
	platform       string
	metadataFile   string
	progress       string
	epoch          string
	noReproducible bool
	noCache        bool
	test           testFlags
	withTest       bool
}

func newBuildCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &buildOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "build TARGET...",
		Short: "Build targets through BuildKit, reproducibly, and print their digests",
		Long: `Build plans each TARGET, renders its Dockerfile and builds it through BuildKit's
built-in dockerfile.v0 frontend. Only the files the recipe copies go into the build
context. The per-platform manifest digest of each image is printed on stdout.

Builds are reproducible by default: SOURCE_DATE_EPOCH is passed to the frontend and
the exporter rewrites every timestamp to it. The epoch is --source-date-epoch, else
$SOURCE_DATE_EPOCH, else the time of the last git commit of the target's recipe
files (when they are unmodified), else 0. --no-reproducible turns this off.

The builder is --builder, else $BUILDKIT_HOST: unix:///path/to/buildkitd.sock,
tcp://HOST:PORT (with --tls-* flags), docker-container://NAME, or "docker" for
Docker's embedded BuildKit (which cannot build reproducibly or write OCI output).

A base image named in a recipe's "from" can be supplied locally with --base, e.g.
from an OCI layout: --base REF=oci-layout://DIR@sha256:<digest>.

Several targets build in one run, in order; steps they share (a common base) come
from BuildKit's cache after the first build.`,
		Example: `  # build the demo stack on the simulated base from a local OCI layout, load into Docker
  macabox build demo --load \
    --base macabox.test/maca-sim:3.0.0.5=oci-layout://$HOME/oci@sha256:<digest>

  # build and write an OCI layout plus a metadata file
  macabox build mineru-maca3 --output type=oci,dest=out/mineru --metadata-file out/mineru.json

  # build, push to a registry, with a registry cache
  macabox build vllm-metax-maca3 --push --tag registry.example.com/ai/vllm-metax:maca3 \
    --cache-to type=registry,ref=registry.example.com/ai/cache:vllm \
    --cache-from type=registry,ref=registry.example.com/ai/cache:vllm

  # build with a secret (never stored in the image, the metadata or the logs)
  macabox build infinicore-maca3 --secret id=gittoken,env=GIT_TOKEN

  # build, load and smoke-test in one go
  macabox build demo --test --device auto`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.targets = args
			o.withTest = o.withTest || cmd.Flags().Changed("test")
			return runBuild(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	o.builderFlags.bind(f)
	f.StringArrayVar(&o.sets, "set", nil, "override a build argument, NAME=VALUE (repeatable)")
	f.StringArrayVar(&o.bases, "base", nil, "supply a FROM image: REF=oci-layout://DIR@sha256:... or REF=docker-image://REF (repeatable)")
	f.StringArrayVar(&o.secrets, "secret", nil, "build secret: id=NAME,src=FILE or id=NAME,env=VAR (repeatable)")
	f.BoolVar(&o.load, "load", false, "load the image into Docker")
	f.StringArrayVar(&o.outputs, "output", nil, "write the image: type=oci,dest=DIR|FILE or type=docker,dest=FILE (repeatable)")
	f.BoolVar(&o.push, "push", false, "push the image to the registries of its --tag names")
	f.StringArrayVarP(&o.tags, "tag", "t", nil, "image name (repeatable; default: the stack's tags, else macabox.local/TARGET:latest)")
	f.StringArrayVar(&o.cacheFrom, "cache-from", nil, "import build cache: type=local,src=DIR or type=registry,ref=REF")
	f.StringArrayVar(&o.cacheTo, "cache-to", nil, "export build cache: type=local,dest=DIR or type=registry,ref=REF")
	f.StringVar(&o.platform, "platform", "", "target platform (default: the recipe's, else linux/amd64)")
	f.StringVar(&o.metadataFile, "metadata-file", "", "write digest, tags, BuildKit version, epoch, base digests and the recipe inputs hash as JSON")
	f.StringVar(&o.progress, "progress", "auto", "progress display: "+strings.Join(builder.ProgressModes, ", "))
	f.StringVar(&o.epoch, "source-date-epoch", "", "SOURCE_DATE_EPOCH for the build (default: see above)")
	f.BoolVar(&o.noReproducible, "no-reproducible", false, "do not pin timestamps (the digest changes on every build)")
	f.BoolVar(&o.noCache, "no-cache", false, "rebuild every step")
	f.BoolVar(&o.withTest, "test", false, "after building, load the image and run its smoke tests (never pushes an image whose tests failed)")
	o.test.bind(f)
	return cmd
}

func runBuild(ctx context.Context, o *buildOptions, s Streams) error {
	args, err := parseSets(o.sets)
	if err != nil {
		return err
	}
	req, err := o.requestOptions()
	if err != nil {
		return err
	}
	// Everything that reads recipes happens before connecting, so a typo in
	// a recipe costs no daemon round trip.
	var prepared []*pipeline.Prepared
	for _, t := range o.targets {
		set, name, err := resolveTarget(o.globalOptions, t)
		if err != nil {
			return err
		}
		pr, err := pipeline.Prepare(set, name, plan.Options{Args: args})
		if err != nil {
			return problems(err)
		}
		for _, w := range pr.Plan.Warnings {
			fmt.Fprintf(s.Err, "warning: %s\n", w)
		}
		prepared = append(prepared, pr)
	}
	if len(prepared) > 1 && len(o.tags) > 0 {
		return cannot("--tag names one image; build one target at a time to tag it")
	}
	b, err := o.connect(ctx)
	if err != nil {
		return err
	}
	defer b.Close()

	reqs, err := o.requests(ctx, prepared, req)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		if err := b.Check(r); err != nil {
			return cannot("%w", err)
		}
	}
	if o.withTest {
		return buildAndTest(ctx, o, s, b, prepared, reqs)
	}
	results, err := buildAll(ctx, b, reqs, o.progress, s)
	if err != nil {
		return err
	}
	return o.report(results, s)
}

// requestOptions reads the flags shared by every target of the run.
func (o *buildOptions) requestOptions() (pipeline.RequestOptions, error) {
	r := pipeline.RequestOptions{Platform: o.platform, NoCache: o.noCache, Bases: map[string]builder.NamedContext{}}
	for _, b := range o.bases {
		ref, nc, err := pipeline.ParseBase(b)
		if err != nil {
			return r, cannot("%w", err)
		}
		r.Bases[ref] = nc
	}
	for _, v := range o.secrets {
		sec, err := builder.ParseSecret(v)
		if err != nil {
			return r, cannot("--secret: %w", err)
		}
		r.Secrets = append(r.Secrets, sec)
	}
	for _, v := range o.outputs {
		out, err := builder.ParseOutput(v)
		if err != nil {
			return r, cannot("--output: %w", err)
		}
		r.Outputs = append(r.Outputs, out)
	}
	if o.load || o.withTest {
		r.Outputs = append(r.Outputs, builder.Output{Type: builder.OutputLoad})
	}
	if o.push {
		if len(o.tags) == 0 {
			return r, cannot("--push needs --tag REGISTRY/NAME:TAG")
		}
		if !o.withTest {
			r.Outputs = append(r.Outputs, builder.Output{Type: builder.OutputPush})
		}
	}
	for _, v := range o.cacheFrom {
		c, err := builder.ParseCache(v)
		if err != nil {
			return r, cannot("--cache-from: %w", err)
		}
		r.CacheFrom = append(r.CacheFrom, c)
	}
	for _, v := range o.cacheTo {
		c, err := builder.ParseCache(v)
		if err != nil {
			return r, cannot("--cache-to: %w", err)
		}
		r.CacheTo = append(r.CacheTo, c)
	}
	if o.noReproducible && o.epoch != "" {
		return r, cannot("--no-reproducible and --source-date-epoch contradict each other")
	}
	return r, nil
}

// requests completes the shared options per target: tags and epoch.
func (o *buildOptions) requests(ctx context.Context, prepared []*pipeline.Prepared, base pipeline.RequestOptions) ([]builder.Request, error) {
	var reqs []builder.Request
	for _, pr := range prepared {
		ro := base
		ro.Tags = o.tags
		if len(ro.Tags) == 0 {
			ro.Tags = pipeline.DefaultTag(pr.Plan)
		}
		if !o.noReproducible {
			root, _ := findRoot(o.root)
			ep, err := pipeline.ResolveEpoch(ctx, o.epoch, os.Getenv, root, pr.RecipeFiles)
			if err != nil {
				return nil, cannot("%w", err)
			}
			ro.Epoch = &ep.Seconds
		}
		reqs = append(reqs, pr.Request(ro))
	}
	return reqs, nil
}

// buildAll builds the requests on one progress display.
func buildAll(ctx context.Context, b builder.ImageBuilder, reqs []builder.Request, mode string, s Streams) ([]*builder.Result, error) {
	prog, err := builder.NewProgress(ctx, s.Err, mode)
	if err != nil {
		return nil, cannot("--progress: %w", err)
	}
	for i := range reqs {
		reqs[i].Progress = prog
	}
	results, err := b.BuildMany(ctx, reqs)
	if cerr := prog.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, problems(withBaseHint(err))
	}
	return results, nil
}

// withBaseHint adds the way out when a FROM image could not be fetched: most
// often it is a local image, or a registry that cannot be reached from here.
func withBaseHint(err error) error {
	if !strings.Contains(err.Error(), "failed to resolve source metadata for") {
		return err
	}
	return fmt.Errorf("%w\nhint: supply the base image locally with --base REF=oci-layout://DIR@sha256:<digest> (or REF=docker-image://MIRROR/REF), or check that its registry can be reached and logged in to", err)
}

// report prints one digest per target on stdout and writes the metadata file.
func (o *buildOptions) report(results []*builder.Result, s Streams) error {
	for _, r := range results {
		d := r.ManifestDigest
		if d == "" {
			d = r.ConfigDigest // Docker's embedded builder writes no manifest
		}
		if len(results) > 1 {
			fmt.Fprintf(s.Out, "%s %s\n", r.Name, d)
		} else {
			fmt.Fprintln(s.Out, d)
		}
	}
	if o.metadataFile == "" {
		return nil
	}
	return writeMetadata(o.metadataFile, results)
}

func writeMetadata(path string, results []*builder.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return cannot("--metadata-file: %w", err)
	}
	if len(results) == 1 {
		err = results[0].WriteMetadata(f)
	} else {
		err = writeMetadataList(f, results)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
