package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// Opened is a bundle read, checked against its SHA256SUMS and copied into a
// private directory while it was read: what a reproduction takes from it.
// Nothing in it is trusted until Verified is OK. Its files are read back
// from the copy, never from the bundle again, so a bundle changed after it
// was verified changes nothing. Close removes the copy.
type Opened struct {
	Path     string
	Verified *Verified

	dir  string
	root *os.Root
}

// Open reads a bundle directory or .tar.gz and checks it as Verify does,
// copying its files into a new directory under parent (the system's
// temporary directory when empty). The error is for a bundle that could
// not be read at all; one that was read and is wrong comes back with
// Verified's problems.
func Open(ctx context.Context, path, parent string) (_ *Opened, err error) {
	dir, err := os.MkdirTemp(parent, "macabox-bundle-")
	if err != nil {
		return nil, err
	}
	b := &Opened{Path: path, dir: dir}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.Close())
		}
	}()
	if b.root, err = os.OpenRoot(dir); err != nil {
		return nil, err
	}
	r := newReader(ctx, b.root)
	if err := r.readBundle(path); err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", path, err)
	}
	b.Verified = check(r)
	return b, nil
}

// Close removes the bundle's copy.
func (b *Opened) Close() error {
	var err error
	if b.root != nil {
		err = b.root.Close()
		b.root = nil
	}
	if b.dir != "" {
		err = errors.Join(err, os.RemoveAll(b.dir))
		b.dir = ""
	}
	return err
}

// open opens a verified file of the bundle's copy.
func (b *Opened) open(name string) (*os.File, error) {
	if !b.Verified.OK() {
		return nil, errors.New("the bundle does not verify")
	}
	if _, ok := b.Verified.files[name]; !ok {
		return nil, fmt.Errorf("the bundle has no %s", name)
	}
	return b.root.Open(name)
}

// read returns a verified file of the bundle, refusing one larger than
// limit.
func (b *Opened) read(name string, limit int64) ([]byte, error) {
	f, err := b.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %s, the most macabox reads of it", name, sizeText(limit))
	}
	return data, nil
}

// Contents parses a verified bundle's expected.json and tests.json: the
// record of the build, the target's name and its smoke tests.
func (b *Opened) Contents() (*Expected, string, []smoke.Test, error) {
	data, err := b.read(ExpectedName, readLimit[ExpectedName])
	if err != nil {
		return nil, "", nil, err
	}
	exp, err := parseExpected(data)
	if err != nil {
		return nil, "", nil, err
	}
	data, err = b.read(TestsName, readLimit[TestsName])
	if err != nil {
		return exp, "", nil, err
	}
	target, tests, err := decodeTests(data)
	if err != nil {
		return exp, "", nil, err
	}
	return exp, target, tests, nil
}

// Dockerfile is the bundle's own Dockerfile: what a reproduction rebuilds.
func (b *Opened) Dockerfile() []byte { return b.Verified.kept[DockerfileName] }

// ContextFiles returns each build context file the expected record names,
// with its path in the bundle's copy, given the mode the record says it
// had. A file the record names must be in the bundle with the digest the
// record gives.
func (b *Opened) ContextFiles(exp *Expected) (map[string]string, error) {
	if !b.Verified.OK() {
		return nil, errors.New("the bundle does not verify")
	}
	files := map[string]string{}
	for _, c := range exp.Context {
		got, ok := b.Verified.digest(c.Name)
		switch {
		case !ok:
			return nil, fmt.Errorf("%s names the context file %s, which the bundle does not hold", ExpectedName, c.Name)
		case got != c.SHA256:
			return nil, fmt.Errorf("%s gives the context file %s the sha256 %s; the bundle's has %s", ExpectedName, c.Name, short(c.SHA256), short(got))
		}
		mode := os.FileMode(0o644)
		if c.Exec() {
			mode = 0o755
		}
		if err := b.root.Chmod(c.Name, mode); err != nil {
			return nil, err
		}
		files[c.Name] = filepath.Join(b.dir, filepath.FromSlash(c.Name))
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
		x = explain(exp, b, im, b.Dockerfile())
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
