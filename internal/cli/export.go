package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
)

type exportOptions struct {
	*globalOptions
	builderFlags
	target    string
	out       string
	sets      []string
	bases     []string
	secrets   []string
	tags      []string
	cacheFrom []string
	platform  string
	epoch     string
	progress  string
	noCache   bool
	tempDir   string
}

func newExportCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &exportOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "export TARGET -o DIR|FILE.tar.gz",
		Short: "Build a target reproducibly and write the bundle a pull request needs",
		Long: `Export builds TARGET reproducibly (as "macabox build" does) and writes a bundle: the
exact Dockerfile and its context files, build.sh (buildctl, docker buildx or docker
build with the same epoch), run.sh (docker run with the MACA device profile),
smoke.sh (the smoke tests as plain shell against a running container), the image's
env file, tests.json, expected.json (manifest digest, platform, BuildKit version,
epoch, base digests, recipe inputs hash, every layer with its Dockerfile line and
recipe step, the packages the build installed), per-layer file listings, README.md
and README.zh-CN.md, ISSUE.md (the contest's issue template, from the recipe's
about: block), PR.md and SHA256SUMS over every other file.

A directory must be new or empty. A .tar.gz is byte-reproducible: exporting the
same target twice gives the same bytes. Build secrets are used for the build and
never written to the bundle. Bundles built on a simulated MACA base say so in
every document and script.

The manifest digest is printed on stdout.`,
		Example: `  # the demo stack on the simulated base, as a tarball
  macabox export demo -o demo-bundle.tar.gz \
    --base macabox.test/maca-sim:3.0.0.5=oci-layout://$HOME/oci@sha256:<digest>

  # a real recipe, into a directory, with a build secret
  macabox export infinicore-maca3 -o bundle/ --secret id=gittoken,env=GIT_TOKEN`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.target = args[0]
			return runExport(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	o.builderFlags.bind(f)
	f.StringVarP(&o.out, "output", "o", "", "bundle to write: a new or empty directory, or FILE.tar.gz (required)")
	f.StringArrayVar(&o.sets, "set", nil, "override a build argument, NAME=VALUE (repeatable)")
	f.StringArrayVar(&o.bases, "base", nil, "supply a FROM image: REF=oci-layout://DIR@sha256:... or REF=docker-image://REF (repeatable)")
	f.StringArrayVar(&o.secrets, "secret", nil, "build secret: id=NAME,src=FILE or id=NAME,env=VAR (repeatable; never written to the bundle)")
	f.StringArrayVarP(&o.tags, "tag", "t", nil, "image name the bundle's scripts use (default: the stack's tags, else macabox.local/TARGET:latest)")
	f.StringArrayVar(&o.cacheFrom, "cache-from", nil, "import build cache: type=local,src=DIR or type=registry,ref=REF")
	f.StringVar(&o.platform, "platform", "", "target platform (default: the recipe's, else linux/amd64)")
	f.StringVar(&o.epoch, "source-date-epoch", "", "SOURCE_DATE_EPOCH for the build (default: as for build)")
	f.StringVar(&o.progress, "progress", "auto", "progress display: "+strings.Join(builder.ProgressModes, ", "))
	f.BoolVar(&o.noCache, "no-cache", false, "rebuild every step")
	f.StringVar(&o.tempDir, "temp-dir", "", "where the image is kept while the bundle is made (needs room for the whole image)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func runExport(ctx context.Context, o *exportOptions, s Streams) error {
	if err := checkExportDest(o.out); err != nil {
		return err
	}
	args, err := parseSets(o.sets)
	if err != nil {
		return err
	}
	bo := &buildOptions{globalOptions: o.globalOptions, bases: o.bases, secrets: o.secrets,
		cacheFrom: o.cacheFrom, platform: o.platform, noCache: o.noCache}
	ro, err := bo.requestOptions()
	if err != nil {
		return err
	}
	set, name, err := resolveTarget(o.globalOptions, o.target)
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
	root, _ := findRoot(o.root)
	ep, err := pipeline.ResolveEpoch(ctx, o.epoch, os.Getenv, root, pr.RecipeFiles)
	if err != nil {
		return cannot("%w", err)
	}
	ro.Epoch = &ep.Seconds
	ro.Tags = o.tags
	if len(ro.Tags) == 0 {
		ro.Tags = pipeline.DefaultTag(pr.Plan)
	}
	b, err := o.connect(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	req := pr.Request(ro)
	if err := b.Check(req); err != nil {
		return cannot("%w", err)
	}
	prog, err := builder.NewProgress(ctx, s.Err, o.progress)
	if err != nil {
		return cannot("--progress: %w", err)
	}
	req.Progress = prog
	res, err := bundle.Export(ctx, bundle.ExportOptions{
		Prepared: pr, Set: set, Request: req, EpochSource: ep.Source,
		Builder: b, Out: o.out, TempDir: o.tempDir,
	})
	if cerr := prog.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return problems(err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(s.Err, "warning: smoke.sh cannot check %s\n", w)
	}
	e := res.Expected
	if e.Simulated {
		fmt.Fprintf(s.Err, "note: %s is built on a SIMULATED MACA base; the bundle says so in every file\n", e.Target)
	}
	fmt.Fprintf(s.Err, "exported %s to %s: %d files, %d layers (%d from the build), epoch %d\n",
		e.Target, res.Path, res.Files, len(e.Layers), buildLayers(e), e.SourceDateEpoch)
	fmt.Fprintln(s.Out, e.ManifestDigest)
	return nil
}

// checkExportDest refuses, before any build, a destination the bundle could
// not be written to.
func checkExportDest(out string) error {
	if out == "" {
		return cannot("give the bundle's destination with -o DIR or -o FILE.tar.gz")
	}
	if bundle.IsTarball(out) {
		if fi, err := os.Stat(out); err == nil && fi.IsDir() {
			return cannot("-o %s is a directory", out)
		}
		return nil
	}
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return cannot("-o %s: %w", out, err)
	case len(entries) > 0:
		return cannot("-o %s exists and is not empty: give a new directory (a bundle is a closed set of files)", out)
	}
	return nil
}

func buildLayers(e *bundle.Expected) int {
	n := 0
	for _, l := range e.Layers {
		if !l.Base {
			n++
		}
	}
	return n
}
