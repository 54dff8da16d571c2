package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/evidence"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// testEpoch fixes SOURCE_DATE_EPOCH, so the tests' digests do not follow
// the project's git history.
const testEpoch int64 = 1735689600

// Recipe trees the bundle tests export: the project's own, and the probe
// tree the bundle package's golden test also plans.
var (
	projectRoot = filepath.Join("..", "..")
	probeRoot   = filepath.Join("..", "bundle", "testdata", "probe")
)

// world is the test world of one bundle test: a buildkitd (the shared one
// or a fresh one), Docker, and the simulated MACA base as an OCI layout.
type world struct {
	t    *testing.T
	env  testenv.Env
	addr string
	// id makes the names of images and containers unique to the test.
	id string
}

func newWorld(t *testing.T, addr string) *world {
	t.Helper()
	env := testenv.RequireDocker(t)
	if addr == "" {
		addr = env.BuildkitHost
	}
	raw := make([]byte, 4)
	_, _ = rand.Read(raw)
	return &world{t: t, env: env, addr: addr, id: hex.EncodeToString(raw)}
}

// bases supplies the simulated MACA base from the test world's OCI layout.
func (w *world) bases() map[string]builder.NamedContext {
	return map[string]builder.NamedContext{
		w.env.MacaSimRef: {OCILayout: w.env.OCIStore, Digest: w.env.MacaSimDigest},
	}
}

// tag is an image name of this test; Docker forgets it when the test ends.
func (w *world) tag(name string) string {
	ref := "macabox-bundle-test/" + name + ":" + w.id
	w.t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", ref).Run() })
	return ref
}

type exportOpts struct {
	bases   map[string]builder.NamedContext
	secrets []builder.Secret
	lookup  func(string) (string, bool)
	noCache bool
}

// export builds and exports a target of a recipe tree with the test epoch,
// through the same pipeline call as `macabox export`.
func (w *world) export(root, target, out string, o exportOpts) *bundle.ExportResult {
	w.t.Helper()
	if o.bases == nil {
		o.bases = w.bases()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := pipeline.Export(ctx, pipeline.ExportOptions{
		Root: root, Target: target, Out: out, Builder: pipeline.BuilderOptions{Addr: w.addr},
		Request: pipeline.RequestOptions{
			Bases: o.bases, Secrets: o.secrets, LookupEnv: o.lookup, NoCache: o.noCache,
			Epoch: strconv.FormatInt(testEpoch, 10), Tags: []string{w.tag(target)}, Progress: "quiet",
		},
		Err: testLog{w.t},
	})
	if err != nil {
		w.t.Fatalf("export %s: %v", target, err)
	}
	w.t.Logf("exported %s in %s: %s", target, time.Since(start).Round(time.Millisecond), res.Expected.ManifestDigest)
	return res
}

// reproduce runs a reproduction with no devices, loading the rebuilt image
// under a name of this test.
func (w *world) reproduce(bundlePath string, secrets []builder.Secret, lookup func(string) (string, bool)) *bundle.Report {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	rep, err := pipeline.Reproduce(ctx, pipeline.ReproduceOptions{
		Bundle: bundlePath, Builder: pipeline.BuilderOptions{Addr: w.addr}, Bases: w.bases(),
		Secrets: secrets, LookupEnv: lookup, Progress: "quiet",
		Image: w.tag("reproduced"), TempDir: testenv.TempDir(w.t),
		Smoke: pipeline.SmokeOptions{Device: pipeline.DeviceOptions{Profile: device.ProfileNone}, Out: io.Discard, Err: testLog{w.t}},
	})
	if err != nil {
		w.t.Fatalf("reproduce %s: %v", bundlePath, err)
	}
	w.t.Logf("reproduced %s in %s: %s (%s)", filepath.Base(bundlePath), time.Since(start).Round(time.Millisecond), rep.Verdict, rep.Reason)
	return rep
}

// testLog writes progress into the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// sh runs a command and returns its combined output and exit code.
func sh(t *testing.T, dir string, env []string, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out), code
}

// container removes a container of this test when the test ends.
func (w *world) container(name string) string {
	name = name + "-" + w.id
	w.t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", name).Run() })
	return name
}

// bundleFiles reads every file of a bundle directory, by slash name.
func bundleFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// resum rewrites SHA256SUMS after a deliberate change, the way someone
// altering a bundle would: with sha256sum. The in-toto statement names the
// old SHA256SUMS, so it goes too (verify would report it, see
// TestBundleEvidence); a bundle without one verifies on its sums alone.
func resum(t *testing.T, dir string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, evidence.StatementName)); err != nil {
		t.Fatal(err)
	}
	out, code := sh(t, dir, nil, "sh", "-c",
		`find . -type f ! -name `+bundle.SumsName+` -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > `+bundle.SumsName)
	if code != 0 {
		t.Fatalf("rewriting %s: %s", bundle.SumsName, out)
	}
}

// readable returns the text of a bundle file, and of what it compresses.
func readable(t *testing.T, name string, data []byte) [][]byte {
	t.Helper()
	out := [][]byte{data}
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, plain)
		// A tarball holds listings that are compressed again.
		for i := 0; i+1 < len(plain); i++ {
			if plain[i] == 0x1f && plain[i+1] == 0x8b {
				if zr, err := gzip.NewReader(bytes.NewReader(plain[i:])); err == nil {
					zr.Multistream(false)
					if inner, err := io.ReadAll(zr); err == nil || len(inner) > 0 {
						out = append(out, inner)
					}
				}
			}
		}
	}
	return out
}
