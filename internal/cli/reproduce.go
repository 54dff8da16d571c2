package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type reproduceOptions struct {
	builderFlags
	testFlags
	bases    []string
	secrets  []string
	image    string
	progress string
	tempDir  string
}

func newReproduceCommand(s Streams) *cobra.Command {
	o := &reproduceOptions{}
	cmd := &cobra.Command{
		Use:   "reproduce BUNDLE",
		Short: "Verify a bundle, rebuild it, compare the digest, run its tests and report",
		Long: `Reproduce checks a bundle (as "macabox verify" does), rebuilds the image from the
bundle's own Dockerfile and context files (not from any recipe) with the recorded
platform and SOURCE_DATE_EPOCH, and compares the manifest digest with expected.json.

When the digests differ it explains why: the first layer that differs, the
Dockerfile line and recipe step that made it, and the files that differ in it (from
the per-layer listings the bundle carries); or, when every layer is the same, what
differs in the image config.

The rebuilt image is loaded into Docker and the bundle's smoke tests (tests.json)
run in it with the device profile; compare and bench tests are judged against the
reference results the bundle carries (evidence/refs). The report gives the verdict,
both digests, the BuildKit versions on both sides, the host's facts, the test table
and, when the bundle carries the contributor's test report, this run's results
beside the contributor's: --report md=FILE for a pull request comment, json=FILE,
text=FILE, junit=FILE or ctrf=FILE (the tests), svg=FILE (the benchmark chart).

A base image the bundle took from an OCI layout must be given with --base; one from
a registry is pulled pinned to the recorded digest.

The bundle is verified before any daemon is contacted, and rebuilt from the copy
made while it was verified, with BuildKit's built-in Dockerfile frontend. Its build
steps and tests are still its author's code: for a bundle you do not trust, point
DOCKER_HOST and --builder at an isolated engine and buildkitd, pass --device none,
and no --mount, --allow or --secret (see the security model in docs/security.md).

Exit status: 0 same digest and every test that ran passed, 1 otherwise (a bundle
that does not verify, a different digest, a failed build or test), 2 the
reproduction could not be done (no builder, no Docker, a missing base).`,
		Example: `  macabox reproduce demo-bundle.tar.gz --builder unix:///run/buildkit/buildkitd.sock \
    --base macabox.test/maca-sim:3.0.0.5=oci-layout://$HOME/oci@sha256:<digest> \
    --report md=reproduce.md --report json=reproduce.json

  # on a MetaX host: device tests must run
  macabox reproduce bundle/ --device maca --require-device --report md=reproduce.md`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReproduce(cmd.Context(), o, args[0], s)
		},
	}
	f := cmd.Flags()
	o.builderFlags.bind(f)
	o.testFlags.bind(f)
	f.StringArrayVar(&o.bases, "base", nil, "supply a FROM image: REF=oci-layout://DIR@sha256:... or REF=docker-image://REF (repeatable)")
	f.StringArrayVar(&o.secrets, "secret", nil, "build secret the bundle's Dockerfile mounts: id=NAME,src=FILE or id=NAME,env=VAR (repeatable)")
	f.StringVar(&o.image, "image", "", "name of the rebuilt image in Docker (default macabox.local/reproduce-TARGET:latest)")
	f.StringVar(&o.progress, "progress", "auto", "progress display: "+strings.Join(builder.ProgressModes, ", "))
	f.StringVar(&o.tempDir, "temp-dir", "", "where the bundle is extracted and the image kept while comparing")
	return cmd
}

func runReproduce(ctx context.Context, o *reproduceOptions, path string, s Streams) error {
	smokeOpts, err := o.testFlags.options(s)
	if err != nil {
		return err
	}
	ro := pipeline.ReproduceOptions{
		Bundle: path, Builder: o.builderFlags.options(), Progress: o.progress,
		Image: o.image, Smoke: smokeOpts, TempDir: o.tempDir, Version: readVersion().Version,
	}
	if ro.Bases, err = parseBases(o.bases); err != nil {
		return err
	}
	if ro.Secrets, err = parseSecrets(o.secrets); err != nil {
		return err
	}
	rep, err := pipeline.Reproduce(ctx, ro)
	if rep != nil {
		if skew := rep.ToolSkew(); skew != "" {
			fmt.Fprintf(s.Err, "note: %s\n", skew)
		}
		if werr := pipeline.WriteReproduceReports(rep, smokeOpts.Reports, s.Out); werr != nil {
			return cannot("writing reports: %w", werr)
		}
	}
	switch {
	case err != nil:
		return outcome(err)
	case !rep.OK:
		return problems(fmt.Errorf("%s: %s", rep.Verdict, rep.Reason))
	}
	return nil
}
