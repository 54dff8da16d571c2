package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type buildOptions struct {
	*globalOptions
	builderFlags
	requestFlags
	test           testFlags
	matrix         matrixFlags
	withTest       bool
	outputs        []string
	load, push     bool
	metadataFile   string
	noReproducible bool
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
Images are loaded into the Docker engine Docker itself would use: $DOCKER_HOST,
else the current docker context. A load goes through a local cache of image blobs
($MACABOX_LOAD_CACHE, default macabox/load under the user's cache directory; "off"
to stream every layer through BuildKit instead): only the layers the cache lacks
cross BuildKit's session, only those Docker lacks are sent to it, and an image
Docker already holds is only tagged ("already loaded").

With --locked, a build whose locked inputs (recipe inputs, lock, Dockerfile, args,
platform, epoch, bases) an earlier locked build on the same builder turned into an
image that every output still holds returns that image without a solve (a local
index under the user's cache directory records them); --no-cache always solves.

A reproducible build first solves with a raw export (without the timestamp rewrite,
which re-reads every layer at each export). When a local export memo knows that raw
result and every output already holds the image it exported to (Docker has it, or the
load cache has its blobs; an OCI directory has them; no output), the export is skipped
("result exported before"). Pushes, tarballs and --no-cache always export.

A base image named in a recipe's "from" can be supplied locally with --base, e.g.
from an OCI layout: --base REF=oci-layout://DIR@sha256:<digest>.

Several targets build in one run, in order; steps they share (a common base) come
from BuildKit's cache after the first build.

A Matrix target builds every cell, in order, on one builder connection: cells that
share a base take its steps from BuildKit's cache after the first. A cell that fails
to build (or, with --test, whose tests fail) does not stop the others. Each built
cell's name and digest are printed on stdout; a summary of every cell (build,
digest, tests passed, failed, skipped, xfail) is shown on stderr as a Markdown table
and written with --summary md=FILE or json=FILE. The exit status is 0 only when
every cell passed. With --test, each cell's --report FILE is written as FILE with the cell's
name before its extension.`,
		Example: `  # build the demo stack on the simulated base from a local OCI layout, load into Docker
  macabox build demo --load \
    --base macabox.test/maca-sim:3.0.0.5=oci-layout://$HOME/oci@sha256:<digest>

  # build and write an OCI layout plus a metadata file
  macabox build mineru-maca3 --output type=oci,dest=out/mineru --metadata-file out/mineru.json

  # build, push to a registry, with a registry cache
  macabox build vllm-metax-maca3 --push --tag registry.example.com/ai/vllm-metax:maca3 \
    --cache-to type=registry,ref=registry.example.com/ai/cache:vllm \
    --cache-from type=registry,ref=registry.example.com/ai/cache:vllm

  # build a private fork: its git step (token: gittoken) reads the access token from
  # a build secret, never stored in the image, the metadata or the logs
  macabox build infinicore-maca3 --set INFINICORE_REPO=https://github.com/me/InfiniCore.git \
    --set INFINICORE_COMMIT=<commit> --secret id=gittoken,env=GIT_TOKEN

  # build, load and smoke-test in one go
  macabox build demo --test --device auto

  # every cell of a matrix, tested, with the summary for the pull request and for CI
  macabox build mineru-lines --test --summary md=out/matrix.md --summary json=out/matrix.json`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), o, args, s)
		},
	}
	f := cmd.Flags()
	o.builderFlags.bind(f)
	o.requestFlags.bind(f, "image name (repeatable; default: the stack's tags, else macabox.local/TARGET:latest)")
	f.BoolVar(&o.load, "load", false, "load the image into Docker")
	f.StringArrayVar(&o.outputs, "output", nil, "write the image: type=oci,dest=DIR|FILE or type=docker,dest=FILE (repeatable)")
	f.BoolVar(&o.push, "push", false, "push the image to the registries of its --tag names")
	f.StringVar(&o.metadataFile, "metadata-file", "", "write digest, tags, BuildKit version, epoch, base digests and the recipe inputs hash as JSON")
	f.BoolVar(&o.noReproducible, "no-reproducible", false, "do not pin timestamps (the digest changes on every build)")
	f.BoolVar(&o.withTest, "test", false, "after building, load the image and run its smoke tests (never pushes an image whose tests failed)")
	o.test.bind(f)
	o.matrix.bind(f)
	return cmd
}

func runBuild(ctx context.Context, o *buildOptions, targets []string, s Streams) error {
	req, err := o.requestFlags.options()
	if err != nil {
		return err
	}
	req.NoReproducible = o.noReproducible
	bo := pipeline.BuildOptions{
		Root: o.root, Targets: targets, Request: req, Builder: o.builderFlags.options(),
		Load: o.load, Push: o.push, MetadataFile: o.metadataFile, Err: s.Err,
	}
	for _, v := range o.outputs {
		out, err := builder.ParseOutput(v)
		if err != nil {
			return cannot("--output: %w", err)
		}
		bo.Outputs = append(bo.Outputs, out)
	}
	if o.withTest {
		test, err := o.test.options(s)
		if err != nil {
			return err
		}
		bo.Test = &test
	}
	if matrix, err := o.matrix.run(ctx, pipeline.MatrixOptions{Verb: pipeline.MatrixBuild, Build: bo}, s); matrix {
		return err
	}
	results, err := pipeline.Build(ctx, bo)
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
	return outcome(err)
}
