package pipeline_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
	"github.com/ccf-ai-infra/macabox/internal/testenv/pyindex"
)

// vendorTorch is the stand-in vendor wheel the maca-sim fixture installs.
const vendorTorch = "2.6.0+metax3.0.0.5"

// epoch is fixed so that the digests can be compared; any value would do.
const epoch int64 = 1735689600

// The probe's two versions: 1.0 takes whatever torch is installed, 2.0 wants
// one the vendor does not ship, and the index offers it, as PyPI would.
var (
	probeOK    = pyindex.Wheel{Name: "macabox-probe", Version: "1.0", Requires: []string{"torch"}}
	probeNext  = pyindex.Wheel{Name: "macabox-probe", Version: "2.0", Requires: []string{"torch>=9"}}
	indexTorch = pyindex.Wheel{Name: "torch", Version: "9.9"}
)

// reportScript runs as the recipe's last step and records what the earlier
// steps left, so the test reads results from the image instead of trusting
// the build log.
const reportScript = `hello > /opt/probe/hello.txt
"$PYTHON" -c 'import importlib.metadata as m, torch, macabox_probe; print("torch", m.version("torch"), torch.__version__); print("probe", macabox_probe.__version__)' > /opt/probe/report.txt`

// TestReproducibleStack is issue 3's acceptance check: a stack with an apt
// step, a pip step on a local index (keeping the vendor torch), a copy and a
// run gives one manifest digest from a first build, from a rebuild after the
// whole BuildKit cache is pruned, and from a buildkitd with an empty root.
//
// It runs on daemons of its own: pruning the shared one would take the cache
// from every other test using it.
func TestReproducibleStack(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ix := pyindex.New(t, probeOK, probeNext, indexTorch)
	set := writeTree(t, ix)
	pr, err := pipeline.Prepare(set, "repro", plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	out := testenv.TempDir(t)

	first := testenv.StartBuildkitd(t)
	type run struct {
		label  string
		digest string
		took   time.Duration
	}
	var runs []run
	build := func(addr, label string) {
		t.Helper()
		b := connect(t, addr)
		dest := filepath.Join(out, strings.ReplaceAll(label, " ", "-"))
		start := time.Now()
		res, err := b.Build(ctx, request(env, pr, dest))
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		t.Logf("%s: %s in %v (%d of %d steps cached)", label, res.ManifestDigest, took.Round(time.Millisecond), res.CachedSteps, res.Steps)
		runs = append(runs, run{label, res.ManifestDigest, took})
		// A pip step that ran downloads the probe again: proof that the
		// step was rebuilt, not taken from a cache the prune missed.
		if n := ix.Count(probeOK.Filename()); n != len(runs) {
			t.Errorf("%s: the index served %s %d times after %d builds", label, probeOK.Filename(), n, len(runs))
		}
		report := readImageFile(t, dest, res.ManifestDigest, "opt/probe/report.txt")
		if want := fmt.Sprintf("torch %s %s\nprobe 1.0\n", vendorTorch, vendorTorch); report != want {
			t.Errorf("%s: report %q, want %q", label, report, want)
		}
		if hello := readImageFile(t, dest, res.ManifestDigest, "opt/probe/hello.txt"); hello != "Hello, world!\n" {
			t.Errorf("%s: hello printed %q", label, hello)
		}
		if motd := readImageFile(t, dest, res.ManifestDigest, "opt/probe/motd.txt"); motd != motdText {
			t.Errorf("%s: copied motd %q", label, motd)
		}
	}

	build(first.Addr, "first build")
	prune(t, ctx, first.Addr)
	build(first.Addr, "after prune")
	build(testenv.StartBuildkitd(t).Addr, "fresh buildkitd")

	for _, r := range runs[1:] {
		if r.digest != runs[0].digest {
			t.Errorf("%s: %s, first build: %s", r.label, r.digest, runs[0].digest)
		}
	}
}

// TestReproducibleStackKeep shows what keep is for: the index offers a newer
// torch that the probe demands. With keep the pip step fails and says torch;
// without it pip replaces the vendor wheel.
func TestReproducibleStackKeep(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	ix := pyindex.New(t, probeOK, probeNext, indexTorch)
	set := writeTree(t, ix)
	ctx := testContext(t)
	b := connect(t, env.BuildkitHost)
	out := testenv.TempDir(t)

	t.Run("keep refuses", func(t *testing.T) {
		pr, err := pipeline.Prepare(set, "guarded", plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := b.Build(ctx, request(env, pr, filepath.Join(out, "guarded")))
		t.Logf("failed as expected in %v", time.Since(start).Round(time.Millisecond))
		if err == nil {
			t.Fatalf("built %s: pip replaced or ignored the kept torch", res.ManifestDigest)
		}
		var se *builder.StepError
		if !errors.As(err, &se) {
			t.Fatalf("not a step error: %v", err)
		}
		msg := err.Error()
		// pip names both sides of the conflict: the probe's torch>=9 and
		// the constraint keep wrote.
		for _, want := range []string{"torch>=9", "torch==" + vendorTorch} {
			if !strings.Contains(msg, want) {
				t.Errorf("error lacks %q:\n%s", want, msg)
			}
		}
		if !strings.Contains(se.Origin, "guarded.yaml:") {
			t.Errorf("error points at %q, not the guarded layer's pip step:\n%s", se.Origin, msg)
		}
		if n := ix.Count(indexTorch.Filename()); n != 0 {
			t.Errorf("pip downloaded %s %d times although keep rules it out", indexTorch.Filename(), n)
		}
	})

	t.Run("without keep pip replaces torch", func(t *testing.T) {
		pr, err := pipeline.Prepare(set, "unguarded", plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(out, "unguarded")
		start := time.Now()
		res, err := b.Build(ctx, request(env, pr, dest))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s in %v", res.ManifestDigest, time.Since(start).Round(time.Millisecond))
		report := readImageFile(t, dest, res.ManifestDigest, "opt/probe/report.txt")
		if want := "torch 9.9 9.9\nprobe 2.0\n"; report != want {
			t.Errorf("report %q, want %q", report, want)
		}
		if n := ix.Count(indexTorch.Filename()); n == 0 {
			t.Errorf("the index never served %s", indexTorch.Filename())
		}
	})
}

const motdText = "copied from beside the recipe\n"

// writeTree writes a recipe tree on the simulated base, with one stack per
// case: repro (keep, probe 1.0), guarded (keep, probe 2.0) and unguarded
// (probe 2.0 without keep).
func writeTree(t *testing.T, ix *pyindex.Index) *recipe.Set {
	t.Helper()
	env := testenv.Require(t)
	root := t.TempDir()
	files := map[string]string{
		"images/sim.yaml": fmt.Sprintf(`apiVersion: macabox/v1
kind: Image
name: repro-sim
description: the SIMULATED MACA base of the test world
from: %s
simulated: true
maca:
  version: 3.0.0.5
python:
  path: /opt/conda/bin/python3
torch: %s
os: debian12
`, env.MacaSimRef, vendorTorch),
		"recipes/probe/motd.txt": motdText,
	}
	for _, c := range []struct {
		name  string
		probe pyindex.Wheel
		keep  bool
	}{
		{"repro", probeOK, true},
		{"guarded", probeNext, true},
		{"unguarded", probeNext, false},
	} {
		keep := ""
		if c.keep {
			keep = "\n      keep: [torch]"
		}
		files["recipes/probe/"+c.name+".yaml"] = fmt.Sprintf(`apiVersion: macabox/v1
kind: Layer
name: %[1]s-layer
steps:
  - apt: [hello]
  - pip:
      packages: ["%[2]s==%[3]s"]
      index: %[4]s
      trustedHosts: [%[5]q]%[6]s
  - copy:
      src: [motd.txt]
      dest: /opt/probe/
  - run: |
%[7]s
---
apiVersion: macabox/v1
kind: Stack
name: %[1]s
base: repro-sim
layers: [%[1]s-layer]
`, c.name, c.probe.Name, c.probe.Version, ix.URL(), ix.Host(), keep, indent(reportScript, "      "))
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := recipe.LoadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatalf("the test's recipes are invalid:\n%v", errs)
	}
	return set
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func request(env testenv.Env, pr *pipeline.Prepared, dest string) builder.Request {
	e := epoch
	req := pr.Request(pipeline.RequestOptions{
		Bases: map[string]builder.NamedContext{env.MacaSimRef: {OCILayout: env.OCIStore, Digest: env.MacaSimDigest}},
	})
	req.Epoch = &e
	req.Outputs = []builder.Output{{Type: builder.OutputOCI, Dest: dest}}
	return req
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func connect(t *testing.T, addr string) *builder.Builder {
	t.Helper()
	b, err := builder.Connect(testContext(t), addr, builder.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// prune empties the daemon's cache, cache mounts included, through
// BuildKit's own client: the builder package has no prune of its own.
func prune(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	c, err := bkclient.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ch := make(chan bkclient.UsageInfo)
	done := make(chan int)
	go func() {
		n := 0
		for range ch {
			n++
		}
		done <- n
	}()
	err = c.Prune(ctx, ch, bkclient.PruneAll)
	close(ch)
	n := <-done
	if err != nil {
		t.Fatalf("prune: %v", err)
	}
	t.Logf("pruned %d cache records", n)
	var left []*bkclient.UsageInfo
	if left, err = c.DiskUsage(ctx); err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("prune left %d cache records", len(left))
	}
}

// readImageFile returns the content of name (a path without the leading /)
// in the image manifest of an OCI layout, from the topmost layer holding it.
// The test's files are written once and never deleted, so whiteouts need no
// handling.
func readImageFile(t *testing.T, layout, manifestDigest, name string) string {
	t.Helper()
	var m ocispec.Manifest
	if err := json.Unmarshal(readBlob(t, layout, manifestDigest), &m); err != nil {
		t.Fatal(err)
	}
	for i := len(m.Layers) - 1; i >= 0; i-- {
		l := m.Layers[i]
		if !strings.HasSuffix(l.MediaType, "tar+gzip") {
			t.Fatalf("layer %s: media type %s, want gzip", l.Digest, l.MediaType)
		}
		if data, ok := fileInLayer(t, blobPath(layout, l.Digest.String()), name); ok {
			return data
		}
	}
	t.Fatalf("%s is in no layer of %s", name, manifestDigest)
	return ""
}

func fileInLayer(t *testing.T, path, name string) (string, bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", false
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(data), true
		}
	}
}

func readBlob(t *testing.T, layout, dgst string) []byte {
	t.Helper()
	data, err := os.ReadFile(blobPath(layout, dgst))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func blobPath(layout, dgst string) string {
	algo, hex, _ := strings.Cut(dgst, ":")
	return filepath.Join(layout, "blobs", algo, hex)
}
