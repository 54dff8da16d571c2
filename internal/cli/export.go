package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type exportOptions struct {
	*globalOptions
	builderFlags
	requestFlags
	matrix     matrixFlags
	out        string
	tempDir    string
	testReport string
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

It also carries the evidence the port is judged on, under evidence/: the target's
reference results (refs/<target>/ beside its recipe), the last test report given
with --test-report (CTRF from "macabox test --report ctrf=FILE", which must have
tested this very image), and a CycloneDX SBOM of the packages the build installed; and attestation.intoto.json, an unsigned in-toto statement whose subjects
are the image and SHA256SUMS, for the contributor to sign with their own key.

A directory must be new or empty. A .tar.gz is byte-reproducible: exporting the
same target twice gives the same bytes. Build secrets are used for the build and
never written to the bundle. Bundles built on a simulated MACA base say so in
every document and script.

The manifest digest is printed on stdout.

A Matrix target exports every cell into the directory -o names (new or empty), as
CELL.tar.gz: each the bundle "macabox export CELL" writes. --test-report FILE is then
read per cell from FILE with the cell's name before its extension, as "macabox test
MATRIX --report ctrf=FILE" writes them. Each exported cell's name and digest are
printed on stdout, the summary of the cells is shown on stderr and written where
--summary says, and a cell that fails does not stop the others; the exit status is 0
only when every cell was exported.`,
		Example: `  # the demo stack on the simulated base, as a tarball
  macabox export demo -o demo-bundle.tar.gz \
    --base macabox.test/maca-sim:3.0.0.5=oci-layout://$HOME/oci@sha256:<digest>

  # a real recipe from a private fork, into a directory, with the git token as a
  # build secret (never written to the bundle)
  macabox export infinicore-maca3 -o bundle/ --secret id=gittoken,env=GIT_TOKEN \
    --set INFINICORE_REPO=https://github.com/me/InfiniCore.git --set INFINICORE_COMMIT=<commit>

  # on a MetaX host: test the image, then bundle it with the test report
  macabox build mineru-maca3 --load
  macabox test mineru-maca3 --report ctrf=out/results.ctrf.json --report md=out/report.md
  macabox export mineru-maca3 -o mineru-bundle.tar.gz --test-report out/results.ctrf.json

  # one bundle per cell of a matrix: bundles/mineru-lines-maca-3.0-2.6.8.tar.gz, ...,
  # each with the CTRF report its test wrote (out/results.ctrf.<cell>.json)
  macabox test mineru-lines --report ctrf=out/results.ctrf.json
  macabox export mineru-lines -o bundles/ --test-report out/results.ctrf.json \
    --summary json=bundles/summary.json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd.Context(), o, args[0], s)
		},
	}
	f := cmd.Flags()
	o.builderFlags.bind(f)
	o.requestFlags.bind(f, "image name the bundle's scripts use (default: the stack's tags, else macabox.local/TARGET:latest)")
	f.StringVarP(&o.out, "output", "o", "", "bundle to write: a new or empty directory, or FILE.tar.gz (required)")
	f.StringVar(&o.tempDir, "temp-dir", "", "where the image is kept while the bundle is made (needs room for the whole image)")
	f.StringVar(&o.testReport, "test-report", "", "the CTRF report of macabox test on the same image, carried as evidence")
	_ = cmd.MarkFlagRequired("output")
	o.matrix.bind(f)
	return cmd
}

func runExport(ctx context.Context, o *exportOptions, target string, s Streams) error {
	req, err := o.requestFlags.options()
	if err != nil {
		return err
	}
	eo := pipeline.ExportOptions{
		Root: o.root, Target: target, Request: req, Builder: o.builderFlags.options(),
		Out: o.out, TempDir: o.tempDir, TestReport: o.testReport, Err: s.Err,
		Version: readVersion().Version,
	}
	if matrix, err := o.matrix.run(ctx, pipeline.MatrixOptions{Verb: pipeline.MatrixExport, Export: eo}, s); matrix {
		return err
	}
	res, err := pipeline.Export(ctx, eo)
	if err != nil {
		return outcome(err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(s.Err, "warning: %s\n", w)
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

func buildLayers(e *bundle.Expected) int {
	n := 0
	for _, l := range e.Layers {
		if !l.Base {
			n++
		}
	}
	return n
}
