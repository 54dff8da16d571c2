package bundle

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
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// ReproduceOptions is one reproduction of a bundle.
type ReproduceOptions struct {
	// Bundle is a bundle directory or .tar.gz.
	Bundle  string
	Builder builder.ImageBuilder
	// Bases supply FROM images by reference (--base); a base the bundle
	// got from an OCI layout must be among them. Registry bases are pinned
	// to their recorded digest unless given here.
	Bases    map[string]builder.NamedContext
	Secrets  []builder.Secret
	Progress *builder.Progress
	// Image names the rebuilt image in Docker for the smoke tests; "" is
	// macabox.local/reproduce-<target>:latest.
	Image string
	// Device resolves the device profile the tests run with, given the
	// runtime wishes the bundle recorded (privileged, shm size).
	Device        func(Runtime) (device.Spec, error)
	RequireDevice bool
	// Keep leaves the test container running (smoke.Options.Keep).
	Keep bool
	// SmokeProgress receives the smoke runner's lines for people.
	SmokeProgress io.Writer
	// Host are the facts of the host, for the report.
	Host hostcheck.Facts
	// TempDir holds the extracted bundle and the rebuilt image; "" is the
	// system's temporary directory.
	TempDir string
	Now     func() time.Time
}

// ErrCannot marks an error after which the reproduction could not be done
// at all (exit 2), as opposed to one that ran and failed.
var ErrCannot = errors.New("cannot reproduce")

// Reproduce verifies a bundle, rebuilds it from its own Dockerfile and
// context with the recorded epoch, compares the manifest digest, explains a
// difference, runs the bundle's smoke tests in the rebuilt image and
// returns the report. A returned error wraps ErrCannot when the
// reproduction could not run; the report is returned whenever there is one.
func Reproduce(ctx context.Context, o ReproduceOptions) (*Report, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	rep := &Report{Schema: ReportSchema, Bundle: o.Bundle, Host: o.Host, Started: start}
	defer func() { rep.Duration = now().Sub(start) }()

	l, err := load(o.Bundle)
	if err != nil {
		return nil, fmt.Errorf("%w: reading bundle %s: %v", ErrCannot, o.Bundle, err)
	}
	v := check(l)
	rep.Verify = VerifySummary{Files: v.Files, Problems: v.Problems}
	if !v.OK() {
		rep.setVerdict(VerdictCorrupt, fmt.Sprintf("the bundle does not match its %s (%d problem(s)); nothing was built", SumsName, len(v.Problems)))
		return rep, nil
	}
	exp, err := parseExpected(v.files[ExpectedName])
	if err != nil {
		rep.setVerdict(VerdictCorrupt, err.Error())
		return rep, nil
	}
	rep.fromExpected(exp)
	target, cases, err := decodeTests(v.files[TestsName])
	if err != nil {
		rep.setVerdict(VerdictCorrupt, err.Error())
		return rep, nil
	}
	// Resolved before the build, so a bad device flag costs no rebuild.
	spec := device.Spec{Profile: device.ProfileNone, NoDeviceReason: "no device profile given"}
	if o.Device != nil {
		if spec, err = o.Device(exp.Runtime); err != nil {
			return rep, fmt.Errorf("%w: %v", ErrCannot, err)
		}
	}
	contexts, err := baseContexts(exp, o.Bases)
	if err != nil {
		return rep, err
	}
	tmp, err := os.MkdirTemp(o.TempDir, "macabox-reproduce-")
	if err != nil {
		return rep, fmt.Errorf("%w: %v", ErrCannot, err)
	}
	defer os.RemoveAll(tmp)
	execs := map[string]bool{}
	for _, c := range exp.Context {
		execs[c.Name] = c.Exec()
	}
	dir, err := extract(v.files, execs, tmp)
	if err != nil {
		return rep, fmt.Errorf("%w: extracting the bundle: %v", ErrCannot, err)
	}

	image := o.Image
	if image == "" {
		image = "macabox.local/reproduce-" + target + ":latest"
	}
	rebuilt, res, err := rebuild(ctx, o, exp, dir, contexts, image, v.files[DockerfileName], tmp)
	if err != nil {
		if errors.Is(err, ErrCannot) {
			return rep, err
		}
		if ctx.Err() != nil {
			return rep, fmt.Errorf("%w: %v", ErrCannot, err)
		}
		rep.BuildError = err.Error()
		rep.setVerdict(VerdictBuildFailed, "the bundle's Dockerfile did not build here: "+firstLine(err.Error()))
		return rep, nil
	}
	rep.Actual = Side{
		ManifestDigest: res.ManifestDigest, ConfigDigest: res.ConfigDigest, Platform: rebuilt.Platform(),
		BuildKit: BuildKit{Version: res.BuildKitVersion, Client: builder.ClientVersion()}, Image: image,
		BuildSeconds: res.Duration.Seconds(),
	}
	rep.Same = res.ManifestDigest == exp.ManifestDigest
	if !rep.Same {
		rep.Explanation = explain(exp, v.files, rebuilt, v.files[DockerfileName])
	}

	opts := pipeline.SmokeOptions(target, image, cases, spec)
	opts.RequireDevice, opts.Keep, opts.Progress = o.RequireDevice, o.Keep, o.SmokeProgress
	srep, serr := smoke.Run(ctx, opts)
	rep.Smoke = srep
	if serr != nil {
		rep.SmokeError = serr.Error()
	}
	rep.decide()
	if serr != nil {
		return rep, fmt.Errorf("%w: running the smoke tests: %v", ErrCannot, device.ExplainRunError(serr, spec))
	}
	return rep, nil
}

// baseContexts supplies each FROM image of the bundle: from --base when
// given, else a registry base pinned to the digest the export resolved. A
// base the export took from an OCI layout cannot be fetched from anywhere,
// so it must be given.
func baseContexts(exp *Expected, given map[string]builder.NamedContext) (map[string]builder.NamedContext, error) {
	out := map[string]builder.NamedContext{}
	for _, b := range exp.Bases {
		if nc, ok := given[b.Ref]; ok {
			out[b.Ref] = nc
			continue
		}
		switch {
		case b.Source == SourceOCILayout:
			return nil, fmt.Errorf("%w: the bundle's base image %s came from an OCI layout; give it with --base %s=oci-layout://DIR@%s",
				ErrCannot, b.Ref, b.Ref, b.Digest)
		case b.Digest != "" || b.Image != "":
			out[b.Ref] = builder.NamedContext{Image: b.Pull()}
		}
	}
	return out, nil
}

// rebuild builds the extracted bundle: its own Dockerfile and context files,
// the recorded platform and epoch, into an OCI layout (to explain a
// difference) and into Docker (for the smoke tests).
func rebuild(ctx context.Context, o ReproduceOptions, exp *Expected, dir string, contexts map[string]builder.NamedContext, image string, dockerfile []byte, tmp string) (*builder.LayoutImage, *builder.Result, error) {
	files := map[string]string{}
	for _, c := range exp.Context {
		files[c.Name] = filepath.Join(dir, filepath.FromSlash(c.Name))
	}
	epoch := exp.SourceDateEpoch
	layout := filepath.Join(tmp, "oci")
	req := builder.Request{
		Name:       exp.Target,
		Dockerfile: dockerfile,
		Files:      files,
		Platform:   exp.Platform,
		Contexts:   contexts,
		Secrets:    o.Secrets,
		Epoch:      &epoch,
		Outputs:    []builder.Output{{Type: builder.OutputOCI, Dest: layout}, {Type: builder.OutputLoad}},
		Tags:       []string{image},
		Origin:     stepOrigin(exp),
		InputsHash: exp.InputsDigest,
		Progress:   o.Progress,
	}
	if err := o.Builder.Check(req); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCannot, err)
	}
	res, err := o.Builder.Build(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	im, err := builder.OpenLayoutImage(layout, res.ManifestDigest)
	if err != nil {
		return nil, nil, err
	}
	return im, res, nil
}

// stepOrigin points a failing Dockerfile line at the recipe step the
// bundle recorded for it.
func stepOrigin(exp *Expected) builder.LineOrigin {
	return func(line int) (string, bool) {
		s, ok := exp.step(exp.stepAt(line))
		if !ok {
			return "", false
		}
		return s.Pos, true
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
