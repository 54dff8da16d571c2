package bundle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// testEpoch fixes SOURCE_DATE_EPOCH, so the tests' digests do not follow
// the project's git history.
const testEpoch int64 = 1735689600

// world is the test world of one integration test: the shared buildkitd
// (or a fresh one), Docker, and the simulated MACA base as an OCI layout.
type world struct {
	t   *testing.T
	env testenv.Env
	b   *builder.Builder
	// id makes the names of images and containers unique to the test.
	id string
}

func newWorld(t *testing.T, addr string) *world {
	t.Helper()
	env := testenv.RequireDocker(t)
	if addr == "" {
		addr = env.BuildkitHost
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := builder.Connect(ctx, addr, builder.ConnectOptions{})
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	t.Cleanup(func() { b.Close() })
	raw := make([]byte, 4)
	_, _ = rand.Read(raw)
	return &world{t: t, env: env, b: b, id: hex.EncodeToString(raw)}
}

// bases supplies the simulated MACA base from the test world's OCI layout.
func (w *world) bases() map[string]builder.NamedContext {
	return map[string]builder.NamedContext{
		w.env.MacaSimRef: {OCILayout: w.env.OCIStore, Digest: w.env.MacaSimDigest},
	}
}

// prepare plans a target of the project's recipes ("" root) or of a tree
// under testdata.
func (w *world) prepare(root, target string) (*recipe.Set, *pipeline.Prepared) {
	w.t.Helper()
	if root == "" {
		root = filepath.Join("..", "..")
	}
	set, err := recipe.LoadTree(root)
	if err != nil {
		w.t.Fatal(err)
	}
	pr, err := pipeline.Prepare(set, target, plan.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	return set, pr
}

// tag is an image name of this test; Docker forgets it when the test ends.
func (w *world) tag(name string) string {
	ref := "macabox-bundle-test/" + name + ":" + w.id
	w.t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", ref).Run() })
	return ref
}

type exportOpts struct {
	secrets []builder.Secret
	lookup  func(string) (string, bool)
	noCache bool
}

// export builds and exports a prepared target with the test epoch.
func (w *world) export(set *recipe.Set, pr *pipeline.Prepared, out string, o exportOpts) *ExportResult {
	w.t.Helper()
	epoch := testEpoch
	req := pr.Request(pipeline.RequestOptions{
		Bases: w.bases(), Secrets: o.secrets, Epoch: &epoch, NoCache: o.noCache,
		Tags: []string{w.tag(pr.Plan.Target)},
	})
	req.LookupEnv = o.lookup
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := Export(ctx, ExportOptions{Prepared: pr, Set: set, Request: req, EpochSource: "flag", Builder: w.b, Out: out})
	if err != nil {
		w.t.Fatalf("export %s: %v", pr.Plan.Target, err)
	}
	w.t.Logf("exported %s in %s: %s", pr.Plan.Target, time.Since(start).Round(time.Millisecond), res.Expected.ManifestDigest)
	return res
}

// reproduce runs Reproduce with no devices, loading the rebuilt image under
// a name of this test.
func (w *world) reproduce(bundlePath string, secrets []builder.Secret, lookup func(string) (string, bool)) *Report {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	rep, err := Reproduce(ctx, ReproduceOptions{
		Bundle: bundlePath, Builder: lookupBuilder{w.b, lookup}, Bases: w.bases(), Secrets: secrets,
		Image: w.tag("reproduced"), TempDir: testenv.TempDir(w.t),
		Device: func(Runtime) (device.Spec, error) { return device.ProfileNone.Resolve(nil, device.Options{}) },
	})
	if err != nil {
		w.t.Fatalf("reproduce %s: %v", bundlePath, err)
	}
	w.t.Logf("reproduced %s in %s: %s (%s)", filepath.Base(bundlePath), time.Since(start).Round(time.Millisecond), rep.Verdict, rep.Reason)
	return rep
}

// lookupBuilder resolves env= secrets from the test instead of the
// process environment, so tests never set variables.
type lookupBuilder struct {
	*builder.Builder
	lookup func(string) (string, bool)
}

func (l lookupBuilder) Build(ctx context.Context, req builder.Request) (*builder.Result, error) {
	if l.lookup != nil {
		req.LookupEnv = l.lookup
	}
	return l.Builder.Build(ctx, req)
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
