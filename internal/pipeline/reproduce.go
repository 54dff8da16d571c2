package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// ReproduceOptions are `macabox reproduce BUNDLE`.
type ReproduceOptions struct {
	// Bundle is a bundle directory or .tar.gz.
	Bundle  string
	Builder BuilderOptions
	// Bases supply FROM images by reference (--base); a base the bundle
	// got from an OCI layout must be among them. Registry bases are pinned
	// to their recorded digest unless given here.
	Bases   map[string]builder.NamedContext
	Secrets []builder.Secret
	// LookupEnv resolves env= secrets; nil means the process environment.
	LookupEnv func(string) (string, bool)
	// Progress is the display mode.
	Progress string
	// Image names the rebuilt image in Docker for the smoke tests; "" is
	// macabox.local/reproduce-<target>:latest.
	Image string
	// Smoke runs the bundle's tests; its Reports are not written here (the
	// reproduce report is the caller's to render).
	Smoke SmokeOptions
	// TempDir holds the extracted bundle and the rebuilt image.
	TempDir string
	Now     func() time.Time
	// Version is macabox's; the report compares it, and the catalog's
	// digest, with what made the bundle.
	Version string
}

// Reproduce verifies a bundle, rebuilds it from its own Dockerfile and
// context with the recorded platform and epoch (the request a build of the
// target made, rebuilt from the bundle's record), compares the manifest
// digest, explains a difference, runs the bundle's smoke tests in the
// rebuilt image and returns the report. The report is returned whenever
// there is one; the error wraps ErrCannot when the reproduction could not
// be done.
func Reproduce(ctx context.Context, o ReproduceOptions) (*bundle.Report, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	// The bundle is checked before any daemon is reached: a bundle that
	// does not verify is reported as such on any host, and nothing of it is
	// sent anywhere. What is built is the copy made while it was checked.
	opened, err := bundle.Open(ctx, o.Bundle, o.TempDir)
	if err != nil {
		return nil, cannot("%w", err)
	}
	defer opened.Close()
	if !opened.Verified.OK() {
		rep := bundle.NewReport(o.Bundle, hostcheck.Run(ctx, hostcheck.Options{Roots: o.Smoke.Device.Roots}).Facts, start)
		v := opened.Verified
		rep.Verify = bundle.SummaryOf(v)
		rep.SetVerdict(bundle.VerdictCorrupt, fmt.Sprintf("the bundle does not verify (%d problem(s)); nothing was built", len(v.Problems)+v.Omitted))
		rep.Duration = now().Sub(start)
		return rep, nil
	}

	engine := newDockerEngine()
	defer engine.close()
	// The rebuilt image is tested in Docker; without it the reproduction
	// could not give its verdict, so find out before the build.
	cli, err := engine.ready(ctx)
	if err != nil {
		return nil, cannot("the bundle's smoke tests run in Docker: %w", err)
	}
	b, err := o.Builder.connect(ctx, engine)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	facts := hostcheck.Run(ctx, hostcheck.Options{
		Roots:  o.Smoke.Device.Roots,
		Probes: hostcheck.Probes{Docker: cli.Version, Builder: capsProbe(b)},
	}).Facts

	rep := bundle.NewReport(o.Bundle, facts, start)
	defer func() { rep.Duration = now().Sub(start) }()
	err = reproduce(ctx, o, opened, b, cli, rep)
	return rep, err
}

// reproduce fills in rep for a bundle that verified; its error is for a
// reproduction that could not be done.
func reproduce(ctx context.Context, o ReproduceOptions, opened *bundle.Opened, b builder.ImageBuilder, cli *docker.Client, rep *bundle.Report) error {
	rep.Verify = bundle.SummaryOf(opened.Verified)
	exp, target, tests, err := opened.Contents()
	if exp != nil {
		rep.FromExpected(exp)
	}
	if err != nil {
		rep.SetVerdict(bundle.VerdictCorrupt, err.Error())
		return nil
	}
	if rep.Actual.Macabox, err = thisMacabox(o.Version); err != nil {
		return err
	}
	refs, contributor, err := opened.Evidence(tests)
	if err != nil {
		rep.SetVerdict(bundle.VerdictCorrupt, err.Error())
		return nil
	}
	tests, rep.Contributor = withBundleReferences(tests, refs, target), contributor
	// Resolved before the build, so a bad device flag costs no rebuild.
	runtime := plan.Runtime{Privileged: exp.Runtime.Privileged, ShmSize: exp.Runtime.ShmSize}
	box, err := o.Smoke.container(runtime)
	if err != nil {
		return err
	}
	contexts, err := bundleBases(exp, o.Bases)
	if err != nil {
		return err
	}
	files, err := opened.ContextFiles(exp)
	if err != nil {
		rep.SetVerdict(bundle.VerdictCorrupt, err.Error())
		return nil
	}
	tmp, err := os.MkdirTemp(o.TempDir, "macabox-reproduce-")
	if err != nil {
		return cannot("%w", err)
	}
	defer os.RemoveAll(tmp)

	image := o.Image
	if image == "" {
		image = "macabox.local/reproduce-" + target + ":latest"
	}
	layout := filepath.Join(tmp, "oci")
	req := rebuildRequest(exp, opened.Dockerfile(), files, contexts, o.Secrets, layout, image)
	req.LookupEnv = o.LookupEnv
	if err := b.Check(req); err != nil {
		return markCannot(err)
	}
	results, err := buildAll(ctx, b, []builder.Request{req}, o.Progress, o.Smoke.Err)
	if err != nil {
		if errors.Is(err, ErrCannot) || ctx.Err() != nil {
			return markCannot(err)
		}
		rep.BuildError = err.Error()
		rep.SetVerdict(bundle.VerdictBuildFailed, "the bundle's Dockerfile did not build here: "+firstLine(err.Error()))
		return nil
	}
	res := results[0]
	platform, x, err := opened.Compare(exp, layout, res.ManifestDigest)
	if err != nil {
		return cannot("reading the rebuilt image: %w", err)
	}
	rep.Actual = bundle.Side{
		ManifestDigest: res.ManifestDigest, ConfigDigest: res.ConfigDigest, Platform: platform,
		BuildKit: bundle.BuildKit{Version: res.BuildKitVersion, Client: builder.ClientVersion()}, Image: image,
		BuildSeconds: res.Duration.Seconds(),
	}
	rep.Same = res.ManifestDigest == exp.ManifestDigest
	rep.Explanation = x

	// The tests' names and the target come from the bundle: the lines that
	// announce them reach the terminal as text.
	so := o.Smoke
	so.Err = escape.Writer(so.Err)
	srep, serr := runSmoke(ctx, cli, so, smokeRun{
		target: target, image: image, tests: tests, simulated: exp.Simulated, runtime: runtime,
	}, box)
	rep.Smoke = srep
	if serr != nil {
		rep.SmokeError = serr.Error()
	}
	rep.Decide()
	if serr != nil {
		return cannot("running the smoke tests: %w", serr)
	}
	return nil
}

// rebuildRequest is the request that rebuilds a bundle: its own Dockerfile
// and context files, the recorded platform and epoch, into an OCI layout (to
// explain a difference) and into Docker (for the smoke tests).
func rebuildRequest(exp *bundle.Expected, dockerfile []byte, files map[string]string, contexts map[string]builder.NamedContext, secrets []builder.Secret, layout, image string) builder.Request {
	epoch := exp.SourceDateEpoch
	return builder.Request{
		Name:       exp.Target,
		Dockerfile: dockerfile,
		Files:      files,
		Platform:   exp.Platform,
		Contexts:   contexts,
		Secrets:    secrets,
		Epoch:      &epoch,
		Outputs:    []builder.Output{{Type: builder.OutputOCI, Dest: layout}, {Type: builder.OutputLoad}},
		Tags:       []string{image},
		Origin:     exp.StepOrigin(),
		InputsHash: exp.InputsDigest,
	}
}

// bundleBases supplies each FROM image of the bundle: from --base when
// given, else a registry base pinned to the digest the export resolved. A
// base the export took from an OCI layout cannot be fetched from anywhere,
// so it must be given.
func bundleBases(exp *bundle.Expected, given map[string]builder.NamedContext) (map[string]builder.NamedContext, error) {
	out := map[string]builder.NamedContext{}
	for _, b := range exp.Bases {
		if nc, ok := given[b.Ref]; ok {
			out[b.Ref] = nc
			continue
		}
		switch {
		case b.Source == bundle.SourceOCILayout:
			return nil, cannot("the bundle's base image %s came from an OCI layout; give it with --base %s=oci-layout://DIR@%s",
				b.Ref, b.Ref, b.Digest)
		case b.Digest != "" || b.Image != "":
			out[b.Ref] = builder.NamedContext{Image: b.Pull()}
		}
	}
	return out, nil
}

// capsProbe answers doctor's builder probe from a connected builder.
func capsProbe(b *builder.Builder) func(context.Context) (string, bool, error) {
	return func(context.Context) (string, bool, error) {
		c := b.Capabilities()
		return c.BuildKit, c.Reproducible, nil
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// WriteReproduceReports writes the requested reproduce reports through the
// smoke package's atomic writer, and a short summary on out unless a report
// already goes there.
func WriteReproduceReports(rep *bundle.Report, specs []smoke.ReportSpec, out io.Writer) error {
	toStdout := false
	files := make([]smoke.ReportFile, 0, len(specs))
	for _, sp := range specs {
		var render func(io.Writer) error
		switch sp.Format {
		case smoke.FormatMarkdown:
			render = rep.WriteMarkdown
		case smoke.FormatJSON:
			render = rep.WriteJSON
		case smoke.FormatText:
			render = rep.WriteText
		case smoke.FormatJUnit:
			if rep.Smoke == nil {
				continue
			}
			render = func(w io.Writer) error { return smoke.WriteJUnit(w, rep.Smoke) }
		case smoke.FormatCTRF, smoke.FormatSVG:
			if rep.Smoke == nil || (sp.Format == smoke.FormatSVG && !smoke.HasBenchmarks(rep.Smoke)) {
				continue
			}
			f := sp.Format
			render = func(w io.Writer) error { return smoke.Render(w, rep.Smoke, f) }
		}
		toStdout = toStdout || sp.Path == "-"
		files = append(files, smoke.ReportFile{Format: sp.Format, Path: sp.Path, Render: render})
	}
	err := smoke.WriteReportFiles(files, out)
	if !toStdout {
		err = errors.Join(err, rep.WriteText(out))
	}
	return err
}
