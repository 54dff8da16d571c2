package bundle

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// probeContents is the probe-sim bundle of testdata/probe with a made-up
// build result: fixed digests, two base layers and one listed build layer.
// Everything but the build result comes from the real planner.
func probeContents(t *testing.T) *contents {
	t.Helper()
	root := filepath.Join("testdata", "probe")
	set, err := recipe.LoadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatalf("testdata/probe is invalid:\n%v", errs)
	}
	p, err := plan.New(set, "probe-sim", plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := plan.Render(p)
	if err != nil {
		t.Fatal(err)
	}
	digest := func(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }
	e := &Expected{
		Schema: ExpectedSchema, Target: p.Target, Kind: string(p.Kind), Simulated: p.Simulated, SimulatedNote: simulatedNote,
		MACA: MACA{Version: p.MACA.Version, Path: p.MACA.Path}, Python: p.Python,
		ManifestDigest: digest('a'), ConfigDigest: digest('c'), MediaType: "application/vnd.oci.image.manifest.v1+json",
		Platform: "linux/amd64", Tags: p.Tags,
		BuildKit:        BuildKit{Version: "v0.0.0+unknown", Client: "v0.34.2"},
		SourceDateEpoch: 1735689600, EpochSource: "flag", InputsDigest: p.InputsDigest,
		Bases:   []Base{{Ref: "macabox.test/maca-sim:3.0.0.5", Digest: digest('b'), Source: SourceOCILayout}},
		Secrets: secretIDs(p), Runtime: Runtime{ShmSize: p.Runtime.ShmSize},
		Steps: steps(p, r), InventoryNote: inventoryNote,
		Installed: []Package{{Manager: "dpkg", Name: "jq", Version: "1.6-2.1", Step: 2}},
	}
	ctxData := map[string][]byte{}
	for _, c := range p.Context {
		data, err := os.ReadFile(c.Path)
		if err != nil {
			t.Fatal(err)
		}
		ctxData[c.Name] = data
		e.Context = append(e.Context, ContextFile{Name: c.Name, Mode: modeString(c.Mode), SHA256: c.SHA256})
	}
	listing, err := encodeListing([]fileEntry{
		{Path: "opt/probe", Type: 'd', Mode: 0o755, Mtime: 1735689600},
		{Path: "opt/probe/bin/hello.sh", Type: 'f', Mode: 0o755, Size: 10, Mtime: 1735689600, Digest: strings.Repeat("d", 64)},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Layers = []Layer{
		{Index: 0, Digest: digest('1'), DiffID: digest('2'), Size: 100, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Base: true, Step: -1},
		{Index: 1, Digest: digest('3'), DiffID: digest('4'), Size: 10, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
			Line: e.Steps[1].FirstLine, Instruction: "COPY", Step: 1, Files: "layers/1.files.tsv.gz", FileCount: 2},
	}
	return &contents{
		Plan: p, Rendered: r, About: AboutFrom(set, p), Expected: e, Tests: planTests(p),
		Context: ctxData, Listings: map[string][]byte{"layers/1.files.tsv.gz": listing},
		ConfigRaw: []byte(`{"architecture":"amd64","os":"linux"}` + "\n"),
		ImageEnv:  []string{"PATH=/opt/probe/bin:/usr/bin:/bin", "MACA_PATH=/opt/maca", "PROBE_HOME=/opt/probe"},
		Image:     p.Tags[0],
	}
}

func modeString(m uint32) string {
	if m&0o111 != 0 {
		return "0755"
	}
	return "0644"
}

// TestGoldenBundle checks every generated document and script of a fixed
// plan against testdata/golden/probe-sim (go test -update rewrites them).
func TestGoldenBundle(t *testing.T) {
	in := probeContents(t)
	files, warnings, err := in.files()
	if err != nil {
		t.Fatal(err)
	}
	all, err := withSums(files)
	if err != nil {
		t.Fatal(err)
	}
	if all, err = withStatement(all, in); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "golden", "probe-sim")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := writeDir(dir, all, 1735689600); err != nil {
			t.Fatal(err)
		}
	}
	v, err := Verify(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v.Problems {
		t.Errorf("golden bundle: %s", p)
	}
	for _, f := range all {
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Name)))
		if err != nil {
			t.Errorf("%s: %v (run go test -update)", f.Name, err)
			continue
		}
		if !bytes.Equal(want, f.Data) {
			t.Errorf("%s differs from its golden file (run go test -update and review the diff)", f.Name)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "version in its own words") {
		t.Errorf("warnings = %q, want the one test smoke.sh cannot check", warnings)
	}
}

// TestGeneratedScriptsPassShellcheck runs Debian's shellcheck (which CI
// installs) and the shells' own parsers on the generated scripts.
func TestGeneratedScriptsPassShellcheck(t *testing.T) {
	files, _, err := probeContents(t).files()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var scripts []string
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".sh") && !strings.Contains(f.Name, "/") {
			p := filepath.Join(dir, f.Name)
			if err := os.WriteFile(p, f.Data, 0o755); err != nil {
				t.Fatal(err)
			}
			scripts = append(scripts, p)
		}
	}
	if len(scripts) != 3 {
		t.Fatalf("scripts = %v, want build.sh, run.sh and smoke.sh", scripts)
	}
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatalf("shellcheck is needed for this test (apt-get install shellcheck): %v", err)
	}
	out, err := exec.Command(shellcheck, append([]string{"--shell=sh", "--severity=style"}, scripts...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	for _, sh := range []string{"dash", "bash", "busybox"} {
		path, err := exec.LookPath(sh)
		if err != nil {
			continue
		}
		for _, s := range scripts {
			args := []string{"-n", s}
			if sh == "busybox" {
				args = append([]string{"sh"}, args...)
			}
			if out, err := exec.Command(path, args...).CombinedOutput(); err != nil {
				t.Errorf("%s -n %s: %v\n%s", sh, filepath.Base(s), err, out)
			}
		}
	}
}

// TestEveryFileSaysSimulated: a bundle built on a simulated base says so in
// every document and script, not only in the README.
func TestEveryFileSaysSimulated(t *testing.T) {
	files, _, err := probeContents(t).files()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		switch {
		case strings.HasPrefix(f.Name, "recipes/"):
			// The build context is the recipes' own files, as they are.
		case strings.HasSuffix(f.Name, ".md"), strings.HasSuffix(f.Name, ".sh"), f.Name == "env", f.Name == DockerfileName, f.Name == ExpectedName, f.Name == TestsName:
			if !bytes.Contains(f.Data, []byte("SIMULATED")) {
				t.Errorf("%s does not say the base is SIMULATED", f.Name)
			}
		}
	}
}

// planTests are the plan's smoke tests as the runners take them.
func planTests(p *plan.Plan) []smoke.Test {
	var tests []smoke.Test
	for _, t := range p.Smoke {
		tests = append(tests, t.Test)
	}
	return tests
}
