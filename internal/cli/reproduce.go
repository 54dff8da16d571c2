package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

type reproduceOptions struct {
	builderFlags
	testFlags
	bundle   string
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
run in it with the device profile. The report gives the verdict, both digests, the
BuildKit versions on both sides, the host's facts and the test table: --report
md=FILE for a pull request comment, json=FILE, text=FILE, junit=FILE (the tests).

A base image the bundle took from an OCI layout must be given with --base; one from
a registry is pulled pinned to the recorded digest.

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
			o.bundle = args[0]
			return runReproduce(cmd.Context(), o, s)
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

func runReproduce(ctx context.Context, o *reproduceOptions, s Streams) error {
	specs, err := o.reportSpecs()
	if err != nil {
		return err
	}
	bases := map[string]builder.NamedContext{}
	for _, b := range o.bases {
		ref, nc, err := pipeline.ParseBase(b)
		if err != nil {
			return cannot("%w", err)
		}
		bases[ref] = nc
	}
	var secrets []builder.Secret
	for _, v := range o.secrets {
		sec, err := builder.ParseSecret(v)
		if err != nil {
			return cannot("--secret: %w", err)
		}
		secrets = append(secrets, sec)
	}
	// The rebuilt image is tested in Docker; without it the reproduction
	// could not give its verdict, so find out before the build.
	if _, err := smoke.DockerVersion(ctx); err != nil {
		return cannot("the bundle's smoke tests run in Docker: %w", err)
	}
	b, err := o.connect(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	facts := hostcheck.Run(ctx, hostcheck.Options{
		Roots:  device.Roots{Dev: o.devRoot, Sys: o.sysRoot},
		Probes: hostcheck.Probes{Docker: smoke.DockerVersion, Builder: capsProbe(b)},
	}).Facts
	prog, err := builder.NewProgress(ctx, s.Err, o.progress)
	if err != nil {
		return cannot("--progress: %w", err)
	}
	rep, err := bundle.Reproduce(ctx, bundle.ReproduceOptions{
		Bundle: o.bundle, Builder: b, Bases: bases, Secrets: secrets, Progress: prog,
		Image: o.image, RequireDevice: o.requireDevice, Keep: o.keep, SmokeProgress: s.Err,
		Host: facts, TempDir: o.tempDir,
		Device: func(rt bundle.Runtime) (device.Spec, error) {
			spec, err := o.deviceSpec(rt.Privileged, rt.ShmSize)
			if err == nil {
				for _, w := range spec.Warnings {
					fmt.Fprintf(s.Err, "warning: %s\n", w)
				}
			}
			return spec, err
		},
	})
	if cerr := prog.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if rep != nil {
		if werr := writeReproduceReports(rep, specs, s); werr != nil {
			return cannot("writing reports: %w", werr)
		}
	}
	switch {
	case err != nil:
		// Reproduce's errors all mean it could not do its work.
		return cannot("%w", err)
	case !rep.OK:
		return problems(fmt.Errorf("%s: %s", rep.Verdict, rep.Reason))
	}
	return nil
}

// writeReproduceReports writes the requested reports, and a short summary
// on stdout unless a report already goes there.
func writeReproduceReports(rep *bundle.Report, specs []smoke.ReportSpec, s Streams) error {
	toStdout := false
	var errs []error
	for _, sp := range specs {
		var buf bytes.Buffer
		var err error
		switch sp.Format {
		case smoke.FormatMarkdown:
			err = rep.WriteMarkdown(&buf)
		case smoke.FormatJSON:
			err = rep.WriteJSON(&buf)
		case smoke.FormatText:
			err = rep.WriteText(&buf)
		case smoke.FormatJUnit:
			if rep.Smoke == nil {
				continue
			}
			err = smoke.WriteJUnit(&buf, rep.Smoke)
		}
		if err == nil {
			if sp.Path == "-" {
				toStdout = true
				_, err = s.Out.Write(buf.Bytes())
			} else {
				err = os.WriteFile(sp.Path, buf.Bytes(), 0o644)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s report: %w", sp.Format, err))
		}
	}
	if !toStdout {
		errs = append(errs, rep.WriteText(s.Out))
	}
	return errors.Join(errs...)
}

// capsProbe answers doctor's builder probe from a connected builder.
func capsProbe(b *builder.Builder) func(context.Context) (string, bool, error) {
	return func(context.Context) (string, bool, error) {
		c := b.Capabilities()
		return c.BuildKit, c.Reproducible, nil
	}
}
