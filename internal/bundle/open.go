package bundle

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// Opened is a bundle read and checked against its SHA256SUMS: what a
// reproduction takes from it. Nothing in it is trusted until Verified is OK.
type Opened struct {
	Path     string
	Verified *Verified
}

// Open reads a bundle directory or .tar.gz and checks it as Verify does. The
// error is for a bundle that could not be read at all; one that was read and
// is wrong comes back with Verified's problems.
func Open(path string) (*Opened, error) {
	v, err := Verify(path)
	if err != nil {
		return nil, err
	}
	return &Opened{Path: path, Verified: v}, nil
}

// Contents parses a verified bundle's expected.json and tests.json: the
// record of the build, the target's name and its smoke tests.
func (b *Opened) Contents() (*Expected, string, []smoke.Test, error) {
	if !b.Verified.OK() {
		return nil, "", nil, fmt.Errorf("the bundle does not match its %s", SumsName)
	}
	exp, err := parseExpected(b.Verified.files[ExpectedName])
	if err != nil {
		return nil, "", nil, err
	}
	target, tests, err := decodeTests(b.Verified.files[TestsName])
	if err != nil {
		return exp, "", nil, err
	}
	return exp, target, tests, nil
}

// Dockerfile is the bundle's own Dockerfile: what a reproduction rebuilds.
func (b *Opened) Dockerfile() []byte { return b.Verified.files[DockerfileName] }

// Extract writes the build context files the expected record names under a
// new directory in parent, with their modes, and returns each context name
// with its path on disk.
func (b *Opened) Extract(exp *Expected, parent string) (map[string]string, error) {
	execs := map[string]bool{}
	for _, c := range exp.Context {
		execs[c.Name] = c.Exec()
	}
	dir, err := extract(b.Verified.files, execs, parent)
	if err != nil {
		return nil, fmt.Errorf("extracting the bundle: %w", err)
	}
	files := map[string]string{}
	for _, c := range exp.Context {
		files[c.Name] = filepath.Join(dir, filepath.FromSlash(c.Name))
	}
	return files, nil
}

// Compare reads the rebuilt image from an OCI layout and, when its digest is
// not the recorded one, explains the difference: the first layer that
// differs with its Dockerfile line, recipe step and files, or the config.
func (b *Opened) Compare(exp *Expected, layout, manifestDigest string) (platform string, x *Explanation, err error) {
	im, err := builder.OpenLayoutImage(layout, manifestDigest)
	if err != nil {
		return "", nil, err
	}
	if manifestDigest != exp.ManifestDigest {
		x = explain(exp, b.Verified.files, im, b.Dockerfile())
	}
	return im.Platform(), x, nil
}

// StepOrigin points a failing Dockerfile line at the recipe step the bundle
// recorded for it.
func (e *Expected) StepOrigin() builder.LineOrigin {
	return func(line int) (string, bool) {
		s, ok := e.step(e.stepAt(line))
		if !ok {
			return "", false
		}
		return s.Pos, true
	}
}

// NewReport starts the report of a reproduction of the bundle at path.
func NewReport(path string, host hostcheck.Facts, started time.Time) *Report {
	return &Report{Schema: ReportSchema, Bundle: path, Host: host, Started: started}
}
