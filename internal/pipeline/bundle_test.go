package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/device/devicetest"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// TestExportReproducesOnAFreshBuildkitd: the demo exported on the shared
// daemon rebuilds to the same manifest digest on a daemon with an empty
// root (nothing cached), and its smoke tests pass in the rebuilt image.
func TestExportReproducesOnAFreshBuildkitd(t *testing.T) {
	w := newWorld(t, "")
	tarball := filepath.Join(testenv.TempDir(t), "demo.tar.gz")
	res := w.export(projectRoot, "demo", tarball, exportOpts{})

	fresh := testenv.StartBuildkitd(t)
	w2 := newWorld(t, fresh.Addr)
	rep := w2.reproduce(tarball, nil, nil)
	if rep.Verdict != bundle.VerdictReproduced || !rep.OK || !rep.Same {
		t.Fatalf("verdict %q: %s", rep.Verdict, rep.Reason)
	}
	if rep.Actual.ManifestDigest != res.Expected.ManifestDigest {
		t.Errorf("rebuilt %s, exported %s", rep.Actual.ManifestDigest, res.Expected.ManifestDigest)
	}
	sum := rep.Smoke.Summary()
	if sum.Failed+sum.Errors > 0 || sum.Passed == 0 {
		t.Errorf("smoke tests: %+v", sum)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"✅ reproduced", res.Expected.ManifestDigest, "SIMULATED MACA", "## Host"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown report lacks %q", want)
		}
	}
}

// TestExportTwiceIsByteIdentical exports the demo twice, the second time
// rebuilding every step, and wants the same tarball bytes.
func TestExportTwiceIsByteIdentical(t *testing.T) {
	w := newWorld(t, "")
	dir := testenv.TempDir(t)
	a, b := filepath.Join(dir, "a.tar.gz"), filepath.Join(dir, "b.tar.gz")
	w.export(projectRoot, "demo", a, exportOpts{})
	w.export(projectRoot, "demo", b, exportOpts{noCache: true})
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		t.Fatalf("two exports of demo differ (%d and %d bytes)", len(da), len(db))
	}
	sum := sha256.Sum256(da)
	t.Logf("two exports: %d identical bytes, sha256 %s", len(da), hex.EncodeToString(sum[:]))
}

// TestScriptsWithoutMacabox rebuilds the demo with build.sh and the pinned
// buildctl, loads it, starts it with run.sh and tests it with smoke.sh: the
// way a reviewer without macabox would.
func TestScriptsWithoutMacabox(t *testing.T) {
	w := newWorld(t, "")
	dir := filepath.Join(testenv.TempDir(t), "bundle")
	res := w.export(projectRoot, "demo", dir, exportOpts{})
	image := res.Expected.Tags[0]
	// The export left no image in Docker: build.sh is what loads it.
	_, _ = sh(t, dir, nil, "docker", "rmi", "-f", image)

	out, code := sh(t, dir, nil, "sh", "build.sh",
		"--buildctl", w.env.Buildctl, "--addr", w.env.BuildkitHost, "--oci-layout", w.env.OCIStore,
		"--output", filepath.Join(testenv.TempDir(t), "image.tar"), "--load")
	if code != 0 || !strings.Contains(out, "same digest as recorded: "+res.Expected.ManifestDigest) {
		t.Fatalf("build.sh exited %d:\n%s", code, out)
	}

	name := w.container("demo-smoke")
	if out, code := sh(t, dir, nil, "sh", "run.sh", "--device", "none", "--detach", name); code != 0 {
		t.Fatalf("run.sh --detach exited %d:\n%s", code, out)
	}
	out, code = sh(t, dir, nil, "sh", "smoke.sh", name)
	t.Logf("smoke.sh:\n%s", out)
	if code != 0 || !strings.Contains(out, "0 failed") || strings.Contains(out, "FAIL") {
		t.Fatalf("smoke.sh exited %d", code)
	}
	if !strings.Contains(out, "SKIP  GPUs visible to torch: needs a MACA device") {
		t.Error("a device test was not skipped in a container without devices")
	}

	// The same tests with a fake MetaX host: run.sh finds its nodes, and the
	// device tests run instead of being skipped.
	host := devicetest.NewFakeHost(t)
	dev := w.container("demo-device")
	env := []string{"MACABOX_DEV_ROOT=" + host.Dev, "MACABOX_SYS_ROOT=" + host.Sys}
	if out, code := sh(t, dir, env, "sh", "run.sh", "--detach", dev); code != 0 {
		t.Fatalf("run.sh --detach with a fake host exited %d:\n%s", code, out)
	}
	out, code = sh(t, dir, nil, "sh", "smoke.sh", dev)
	t.Logf("smoke.sh with fake devices:\n%s", out)
	if code != 0 || strings.Contains(out, "SKIP") {
		t.Errorf("smoke.sh with fake devices exited %d, or skipped a test", code)
	}

	// smoke.sh fails, and says which test, when the image is not right.
	other := w.container("demo-wrong")
	if out, code := sh(t, dir, nil, "docker", "run", "-d", "--name", other, "--entrypoint", "/bin/sh", w.env.MacaSimRef, "-c", "sleep 600"); code != 0 {
		t.Fatalf("starting the bare base: %s", out)
	}
	out, code = sh(t, dir, nil, "sh", "smoke.sh", other)
	if code != 1 || !strings.Contains(out, "FAIL  demo CLI") {
		t.Errorf("smoke.sh on the bare base exited %d:\n%s", code, out)
	}
}

// TestChangedStepIsExplained edits one RUN of a bundle's Dockerfile,
// regenerates SHA256SUMS, and wants reproduce to name the layer, the
// Dockerfile line, the recipe step and the file that changed.
func TestChangedStepIsExplained(t *testing.T) {
	w := newWorld(t, "")
	dir := filepath.Join(testenv.TempDir(t), "bundle")
	res := w.export(projectRoot, "demo", dir, exportOpts{})

	var last bundle.Layer
	for _, l := range res.Expected.Layers {
		last = l
	}
	step := stepOf(res.Expected, last.Step)
	if step.Kind != "run" || last.Line == 0 {
		t.Fatalf("the demo's last layer comes from %+v", last)
	}
	df := filepath.Join(dir, bundle.DockerfileName)
	data, err := os.ReadFile(df)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	lines[last.Line-1] += ` && echo tampered >>/opt/macabox/demo/build-report.txt`
	if err := os.WriteFile(df, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	resum(t, dir)

	rep := w.reproduce(dir, nil, nil)
	if rep.Verdict != bundle.VerdictDigestDiffers || rep.OK {
		t.Fatalf("verdict %q: %s", rep.Verdict, rep.Reason)
	}
	x := rep.Explanation
	if x == nil || x.Layer != last.Index || x.Line != last.Line || x.Step == nil || x.Step.Index != step.Index {
		t.Fatalf("explanation %+v, want layer %d, line %d, step %d", x, last.Index, last.Line, step.Index)
	}
	found := false
	for _, f := range x.Files {
		if f.Path == "opt/macabox/demo/build-report.txt" && strings.Contains(f.Change, "content") {
			found = true
		}
	}
	if !found {
		t.Errorf("changed files %+v do not name build-report.txt", x.Files)
	}
	if !strings.Contains(rep.Reason, step.Pos) {
		t.Errorf("the reason %q does not name the recipe step at %s", rep.Reason, step.Pos)
	}
	t.Logf("explanation: %s", x.Summary)
}

// TestChangedEnvIsExplained edits an ENV of a bundle's Dockerfile: no layer
// changes, the config does, and reproduce names the instruction's step.
func TestChangedEnvIsExplained(t *testing.T) {
	w := newWorld(t, "")
	dir := filepath.Join(testenv.TempDir(t), "bundle")
	res := w.export(projectRoot, "demo", dir, exportOpts{})
	var env bundle.Step
	for _, s := range res.Expected.Steps {
		if s.Kind == "env" && s.Recipe == "macabox-demo" {
			env = s
		}
	}
	df := filepath.Join(dir, bundle.DockerfileName)
	data, err := os.ReadFile(df)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if !strings.HasPrefix(lines[env.FirstLine-1], "ENV MACABOX_DEMO_HOME=") {
		t.Fatalf("line %d is %q", env.FirstLine, lines[env.FirstLine-1])
	}
	lines[env.FirstLine-1] = `ENV MACABOX_DEMO_HOME="/opt/elsewhere"`
	if err := os.WriteFile(df, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	resum(t, dir)
	rep := w.reproduce(dir, nil, nil)
	x := rep.Explanation
	if rep.Verdict != bundle.VerdictDigestDiffers || x == nil || x.Layer != -1 || x.Step == nil || x.Step.Index != env.Index {
		t.Fatalf("verdict %q, explanation %+v; want the config of step %d", rep.Verdict, x, env.Index)
	}
	if !strings.Contains(strings.Join(x.Config, "\n"), "/opt/elsewhere") {
		t.Errorf("config differences %q do not show the new value", x.Config)
	}
	// The image's own test of the variable fails as well.
	if rep.Smoke == nil || rep.Smoke.OK() {
		t.Error("the smoke test of MACABOX_DEMO_HOME passed with another value")
	}
}

// TestSecretNeverInBundle builds the probe stack, whose step reads a build
// secret, and searches every byte of the bundle (directory, tarball, and
// the compressed listings inside) for the secret's value. The probe's
// smoke tests then run through smoke.sh, and reproduce with the secret.
func TestSecretNeverInBundle(t *testing.T) {
	w := newWorld(t, "")
	value := "macabox-secret-" + w.id + "-do-not-ship"
	lookup := func(name string) (string, bool) { return value, name == "PROBE_TOKEN" }
	secrets := []builder.Secret{{ID: "token", Env: "PROBE_TOKEN"}}
	tmp := testenv.TempDir(t)
	dir, tarball := filepath.Join(tmp, "bundle"), filepath.Join(tmp, "probe.tar.gz")
	res := w.export(probeRoot, "probe-sim", dir, exportOpts{secrets: secrets, lookup: lookup})
	w.export(probeRoot, "probe-sim", tarball, exportOpts{secrets: secrets, lookup: lookup})

	files := bundleFiles(t, dir)
	raw, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	files["(the tarball)"] = raw
	for name, data := range files {
		for _, text := range readable(t, name, data) {
			if bytes.Contains(text, []byte(value)) || bytes.Contains(text, []byte("do-not-ship")) {
				t.Errorf("%s holds the build secret", name)
			}
		}
	}
	if got := res.Expected.Secrets; len(got) != 1 || got[0] != "token" {
		t.Errorf("expected.json secrets %v, want the id token", got)
	}

	// smoke.sh covers file modes, absent files, variables, a test
	// environment, a TCP service and a pattern it cannot check.
	if out, code := sh(t, dir, nil, "docker", "image", "inspect", res.Expected.Tags[0]); code == 0 {
		t.Fatalf("the export loaded the image into Docker:\n%s", out)
	}
	rep := w.reproduce(dir, secrets, lookup)
	if !rep.OK {
		t.Fatalf("reproduce: %s: %s", rep.Verdict, rep.Reason)
	}
	name := w.container("probe-smoke")
	if out, code := sh(t, dir, nil, "sh", "run.sh", "--image", rep.Actual.Image, "--device", "none", "--detach", name); code != 0 {
		t.Fatalf("run.sh: %s", out)
	}
	out, code := sh(t, dir, nil, "sh", "smoke.sh", name)
	t.Logf("smoke.sh:\n%s", out)
	if code != 0 || !strings.Contains(out, "SKIP  version in its own words: cannot be checked by smoke.sh") {
		t.Errorf("smoke.sh exited %d", code)
	}
}

// TestRegistryBase exports the demo with its base pulled from the test
// world's registry instead of an OCI layout: the bundle names where the
// base came from, warns that it is not pinned, and build.sh needs no layout.
func TestRegistryBase(t *testing.T) {
	w := newWorld(t, "")
	dir := filepath.Join(testenv.TempDir(t), "bundle")
	res := w.export(projectRoot, "demo", dir, exportOpts{
		bases: map[string]builder.NamedContext{w.env.MacaSimRef: {Image: w.env.MacaSimRegistryRef}},
	})
	b := res.Expected.Bases[0]
	if b.Source != bundle.SourceRegistry || b.Image != w.env.MacaSimRegistryRef {
		t.Errorf("base recorded as %+v", b)
	}
	if b.Digest == "" && !strings.Contains(strings.Join(res.Warnings, "\n"), "not pinned") {
		t.Errorf("an unpinned base was not warned about: %q", res.Warnings)
	}
	if out, code := sh(t, dir, nil, "shellcheck", "build.sh", "run.sh", "smoke.sh"); code != 0 {
		t.Errorf("shellcheck:\n%s", out)
	}
	out, code := sh(t, dir, nil, "sh", "build.sh", "--buildctl", w.env.Buildctl, "--addr", w.env.BuildkitHost,
		"--output", filepath.Join(testenv.TempDir(t), "image.tar"))
	if code != 0 || !strings.Contains(out, "same digest as recorded") {
		t.Fatalf("build.sh exited %d:\n%s", code, out)
	}
}

// stepOf is the recorded step with index i.
func stepOf(e *bundle.Expected, i int) bundle.Step {
	for _, s := range e.Steps {
		if s.Index == i {
			return s
		}
	}
	return bundle.Step{Index: -1}
}

// TestFrontendDirectiveIsRefused: a bundle whose Dockerfile names a
// frontend image, as a hand-made bundle could to hide its real build in
// that image, does not verify, is not rebuilt by reproduce and is refused by
// build.sh; with build.sh's check taken out, buildctl still builds it with
// its own frontend. Nothing ever contacts the frontend image's registry.
func TestFrontendDirectiveIsRefused(t *testing.T) {
	w := newWorld(t, "")
	tmp := testenv.TempDir(t)
	dir := filepath.Join(tmp, "bundle")
	w.export(projectRoot, "demo", dir, exportOpts{})
	reg := testenv.Watch(t)
	df := filepath.Join(dir, bundle.DockerfileName)
	data, err := os.ReadFile(df)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(df, append([]byte("# syntax="+reg.Addr()+"/evil/frontend:1\n"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	resum(t, dir)

	v, err := bundle.Verify(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK() || len(v.Problems) != 1 || v.Problems[0].Kind != bundle.ProblemRefused || v.Problems[0].Path != bundle.DockerfileName {
		t.Errorf("verify: problems %v, want the Dockerfile refused", v.Problems)
	}
	if rep := w.reproduce(dir, nil, nil); rep.Verdict != bundle.VerdictCorrupt {
		t.Errorf("reproduce: %s: %s", rep.Verdict, rep.Reason)
	}
	args := []string{"--buildctl", w.env.Buildctl, "--addr", w.env.BuildkitHost, "--oci-layout", w.env.OCIStore,
		"--output", filepath.Join(tmp, "image.tar")}
	out, code := sh(t, dir, nil, "sh", append([]string{"build.sh"}, args...)...)
	if code != 2 || !strings.Contains(out, "does not start with the line macabox writes") {
		t.Errorf("build.sh exited %d:\n%s", code, out)
	}

	script, err := os.ReadFile(filepath.Join(dir, "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	check := regexp.MustCompile(`(?m)^\[ "\$first" = "\$header" \] \|\| die .*\n`)
	if !check.Match(script) {
		t.Fatal("build.sh has no header check to take out")
	}
	unchecked := filepath.Join(dir, "build-unchecked.sh")
	if err := os.WriteFile(unchecked, check.ReplaceAll(script, nil), 0o755); err != nil {
		t.Fatal(err)
	}
	out, code = sh(t, dir, nil, "sh", append([]string{unchecked}, args...)...)
	if code != 0 || !strings.Contains(out, "same digest as recorded") {
		t.Errorf("build.sh without its check exited %d (a comment line changes no layer):\n%s", code, out)
	}
	if n := reg.Connections(); n > 0 {
		t.Errorf("%d connection(s) reached the frontend image's registry", n)
	}
}
