package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// matrixTree is a recipe tree with two simulated MACA lines, both the test
// world's maca-sim fixture under another name and version, each with a
// step of its own that no earlier run can have cached (nonce); a layer
// whose one test fails only for the gpu flavour on the 3.1 line; and the
// matrix of the two lines and two flavours.
func matrixTree(t *testing.T, env testenv.Env, nonce, matrixExtra string) string {
	image := func(name, version, line string) string {
		return `apiVersion: macabox/v1
kind: Image
name: ` + name + `
from: ` + env.MacaSimRef + `
simulated: true
maca: {version: ` + version + `}
env: {MACA_LINE: "` + line + `"}
steps:
  - run: echo "line ` + line + ` ` + nonce + `" > /opt/maca-line
`
	}
	return writeTree(t, map[string]string{
		"images/sims.yaml": image("sim-3.0", "3.0.0.5", "3.0") + "---\n" + image("sim-3.1", "3.1.0.7", "3.1"),
		"recipes/app/app.yaml": `apiVersion: macabox/v1
kind: Layer
name: app
args: {FLAVOR: plain}
steps:
  - run: echo "$FLAVOR" > /opt/flavor
smoke:
  - name: flavour recorded
    file: /opt/flavor
    expect: {content: '^(plain|gpu)$'}
  - name: the flavour works on this line
    run: test "$F-$M" != gpu-3.1.0.7
    env: {F: "${FLAVOR}", M: "${MACA_VERSION}"}
  - name: gpus listed
    needs: [device]
    run: mx-smi -L
  - name: a known gap
    run: "false"
    xfail: no kernel for this yet
---
apiVersion: macabox/v1
kind: Matrix
name: lines
base: [sim-3.0, sim-3.1]
layers: [app]
axes:
  FLAVOR: [plain, gpu]
tags: ["macabox-cli-test/lines:${FLAVOR}-${MACA_VERSION}-` + nonce + `"]
` + matrixExtra,
	})
}

var matrixCells = []string{"lines-sim-3.0-plain", "lines-sim-3.0-gpu", "lines-sim-3.1-plain", "lines-sim-3.1-gpu"}

// matrixSummary is what the test reads of the JSON summary.
type matrixSummary struct {
	Schema, Matrix, Verb string
	Axes                 []string
	OK                   bool
	Cells                []struct {
		Name   string
		Values []struct{ Axis, Value string }
		Build  *struct {
			Status, ManifestDigest string
			Tags, CachedSteps      []string
		}
		Tests *struct {
			Status                                  string
			Total, Passed, Failed, Skipped, XFailed int
			Failures                                []struct{ Name string }
		}
		OK bool
	}
}

func readSummary(t *testing.T, path string) matrixSummary {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s matrixSummary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return s
}

// TestBuildMatrixWithTests is issue 14's done-when: `macabox build MATRIX
// --test` on the simulated base, over two simulated MACA lines and two
// flavours, builds every cell, shares each base's work between its cells,
// writes the summary table, and a cell whose test fails leaves the others
// green and makes the exit status 1.
func TestBuildMatrixWithTests(t *testing.T) {
	env := testenv.RequireDocker(t)
	work := testenv.TempDir(t)
	nonce := filepath.Base(work)
	dir := matrixTree(t, env, nonce, "")
	var tags []string
	for _, c := range []string{"plain-3.0.0.5", "gpu-3.0.0.5", "plain-3.1.0.7", "gpu-3.1.0.7"} {
		tags = append(tags, "macabox-cli-test/lines:"+c+"-"+nonce)
	}
	t.Cleanup(func() { _ = exec.Command("docker", append([]string{"rmi", "-f"}, tags...)...).Run() })
	base := env.MacaSimRef + "=oci-layout://" + env.OCIStore + "@" + env.MacaSimDigest
	md, js := filepath.Join(work, "matrix.md"), filepath.Join(work, "matrix.json")

	code, stdout, stderr := run(t, "build", "lines", "--root", dir, "--test", "--device", "none",
		"--builder", env.BuildkitHost, "--base", base, "--progress", "quiet",
		"--report", "json="+filepath.Join(work, "reports", "smoke.json"), "--summary", "md="+md, "--summary", "json="+js)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one cell fails its tests)\n%s\n%s", code, stdout, stderr)
	}
	assertNoCellContainers(t)

	// stdout: each cell's name and digest, in the matrix's order.
	digests := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		name, digest, _ := strings.Cut(line, " ")
		digests[name] = digest
	}
	s := readSummary(t, js)
	if s.Schema != "macabox.matrix/v1" || s.Matrix != "lines" || s.Verb != "build" || s.OK || !slices.Equal(s.Axes, []string{"base", "FLAVOR"}) {
		t.Errorf("summary head: %+v", s)
	}
	if len(s.Cells) != 4 {
		t.Fatalf("%d cells in the summary, want 4", len(s.Cells))
	}
	for i, c := range s.Cells {
		if c.Name != matrixCells[i] || c.Build == nil || c.Tests == nil {
			t.Fatalf("cell %d: %+v", i, c)
		}
		b, ts := c.Build, c.Tests
		if b.Status != "built" || !strings.HasPrefix(b.ManifestDigest, "sha256:") || digests[c.Name] != b.ManifestDigest || !slices.Equal(b.Tags, tags[i:i+1]) {
			t.Errorf("%s: build %+v, stdout digest %q", c.Name, b, digests[c.Name])
		}
		failing := c.Name == "lines-sim-3.1-gpu"
		wantPassed, wantFailed := 2, 0
		if failing {
			wantPassed, wantFailed = 1, 1
		}
		if c.OK == failing || ts.Total != 4 || ts.Passed != wantPassed || ts.Failed != wantFailed || ts.Skipped != 1 || ts.XFailed != 1 {
			t.Errorf("%s: ok %v, tests %+v", c.Name, c.OK, ts)
		}
		if failing && (ts.Status != "failed" || len(ts.Failures) != 1 || ts.Failures[0].Name != "the flavour works on this line") {
			t.Errorf("%s: tests %+v", c.Name, ts)
		}
		if _, err := os.Stat(filepath.Join(work, "reports", "smoke."+c.Name+".json")); err != nil {
			t.Errorf("%s: no smoke report of its own: %v", c.Name, err)
		}
		// The base's own step ran in the first cell on that base (no run
		// before had it: nonce) and came from the cache in the second.
		line := "3.0"
		if i >= 2 {
			line = "3.1"
		}
		shared := slices.ContainsFunc(b.CachedSteps, func(st string) bool { return strings.Contains(st, "line "+line+" "+nonce) })
		if shared != (i%2 == 1) {
			t.Errorf("%s: base step from the cache %v, want %v; cached: %q", c.Name, shared, i%2 == 1, b.CachedSteps)
		}
	}
	if len(digests) != 4 || digests[matrixCells[0]] == digests[matrixCells[1]] {
		t.Errorf("stdout digests: %v", digests)
	}

	table, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### ❌ macabox build of matrix lines: 3 of 4 cells passed\n",
		"| Cell | base | FLAVOR | Build | Digest | Passed | Failed | Skipped | XFail | Result |\n",
		"| lines-sim-3.0-plain | `sim-3.0` | `plain` | ✅ built | `" + digests["lines-sim-3.0-plain"] + "` | 2 | 0 | 1 | 1 | ✅ passed |\n",
		"| lines-sim-3.1-gpu | `sim-3.1` | `gpu` | ✅ built | `" + digests["lines-sim-3.1-gpu"] + "` | 1 | 1 | 1 | 1 | ❌ failed |\n",
		"<summary>❌ lines-sim-3.1-gpu: 1 of 4 tests failed</summary>",
	} {
		if !strings.Contains(string(table), want) {
			t.Errorf("Markdown summary lacks %q:\n%s", want, table)
		}
	}
	if !strings.Contains(stderr, string(table)) {
		t.Errorf("the table is not shown on stderr:\n%s", stderr)
	}

	// The cells' images stay: testing the matrix again needs no build.
	code, _, stderr = run(t, "test", "lines", "--root", dir, "--device", "none", "--summary", "json="+js, "--report", "junit="+filepath.Join(work, "junit.xml"))
	if s := readSummary(t, js); code != 1 || s.Verb != "test" || s.Cells[3].OK || !s.Cells[0].OK || s.Cells[0].Build != nil || s.Cells[0].Tests.Passed != 2 {
		t.Errorf("test lines: exit %d, summary %+v\n%s", code, s, stderr)
	}
	assertNoCellContainers(t)

	// A cell is a target of its own, built exactly as in the matrix.
	code, stdout, stderr = run(t, "build", "lines-sim-3.1-plain", "--root", dir, "--builder", env.BuildkitHost, "--base", base, "--progress", "quiet")
	if code != 0 || strings.TrimSpace(stdout) != digests["lines-sim-3.1-plain"] {
		t.Errorf("build of one cell: exit %d, %q, want %s\n%s", code, stdout, digests["lines-sim-3.1-plain"], stderr)
	}
}

// TestLockAndExportMatrix locks every cell of a matrix beside it and
// exports one bundle per cell, each a bundle of that cell that verifies.
func TestLockAndExportMatrix(t *testing.T) {
	env := testenv.Require(t)
	work := testenv.TempDir(t)
	dir := matrixTree(t, env, filepath.Base(work), "exclude:\n  - {FLAVOR: plain}\n")
	base := env.MacaSimRef + "=oci-layout://" + env.OCIStore + "@" + env.MacaSimDigest
	cells := []string{"lines-sim-3.0-gpu", "lines-sim-3.1-gpu"}

	code, stdout, stderr := run(t, "lock", "lines", "--root", dir, "--builder", env.BuildkitHost, "--base", base, "--progress", "quiet")
	if code != 0 {
		t.Fatalf("lock: exit %d\n%s", code, stderr)
	}
	for _, c := range cells {
		want := filepath.Join(dir, "recipes", "app", c+".lock.yaml")
		if _, err := os.Stat(want); err != nil || !strings.Contains(stdout, c+".lock.yaml") {
			t.Errorf("lock of %s: %v; stdout %q", c, err, stdout)
		}
	}
	if code, _, stderr := run(t, "lock", "--check", "lines", "--root", dir); code != 0 {
		t.Errorf("lock --check: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = run(t, "list", "--root", dir)
	if code != 0 || !strings.Contains(stdout, "  lines-sim-3.1-gpu  cell") || strings.Contains(stdout, "lines-sim-3.1-plain") {
		t.Errorf("list: exit %d\n%s\n%s", code, stdout, stderr)
	}

	out := filepath.Join(work, "bundles")
	js := filepath.Join(work, "matrix.json")
	code, stdout, stderr = run(t, "export", "lines", "--root", dir, "-o", out, "--builder", env.BuildkitHost,
		"--base", base, "--progress", "quiet", "--summary", "json="+js)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	s := readSummary(t, js)
	for i, c := range cells {
		bundle := filepath.Join(out, c+".tar.gz")
		if code, vout, _ := run(t, "verify", bundle); code != 0 {
			t.Errorf("verify %s: exit %d: %s", bundle, code, vout)
		}
		if !s.OK || s.Cells[i].Name != c || s.Cells[i].Build.Status != "built" || !strings.Contains(stdout, c+" "+s.Cells[i].Build.ManifestDigest) {
			t.Errorf("export summary %+v, stdout %q", s, stdout)
		}
	}
	// Each cell has a lock, so each bundle is built locked and ships it.
	listing, err := exec.Command("tar", "-tzf", filepath.Join(out, cells[1]+".tar.gz")).Output()
	if err != nil || !slices.Contains(strings.Split(string(listing), "\n"), "lock.yaml") {
		t.Errorf("bundle of %s: %v\n%s", cells[1], err, listing)
	}
}

// assertNoCellContainers checks that no test container of a cell is left.
func assertNoCellContainers(t *testing.T) {
	t.Helper()
	for _, c := range matrixCells {
		out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=org.ccf-ai-infra.macabox.target="+c).Output()
		if err != nil {
			t.Fatalf("docker ps: %v", err)
		}
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
			t.Errorf("containers of %s left behind: %v", c, ids)
		}
	}
}
