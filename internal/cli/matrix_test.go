package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBuildMatrixWithTests is issue 14's done-when: `macabox build MATRIX
// --test` on the simulated base, over two simulated MACA lines and two
// flavours (and one more cell, included, whose build fails), builds every
// cell, shares each base's work between its cells, and writes the summary
// table; a cell whose test fails and one that does not build leave the
// others green and make the exit status 1.
func TestBuildMatrixWithTests(t *testing.T) {
	r := newMatrixRun(t, "include:\n  - {base: sim-3.0, FLAVOR: broken}\n", "plain-3.0.0.5", "gpu-3.0.0.5", "plain-3.1.0.7", "gpu-3.1.0.7")
	env, work, nonce, dir, base, tags := r.env, r.work, r.nonce, r.dir, r.base, r.tags
	md, js := filepath.Join(work, "matrix.md"), filepath.Join(work, "matrix.json")

	code, stdout, stderr := run(t, "build", "lines", "--root", dir, "--test", "--device", "none",
		"--builder", env.BuildkitHost, "--base", base, "--progress", "quiet",
		"--report", "json="+filepath.Join(work, "reports", "smoke.json"), "--summary", "md="+md, "--summary", "json="+js)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a cell fails its tests, another its build)\n%s\n%s", code, stdout, stderr)
	}
	assertNoCellContainers(t)

	// stdout: each built cell's name and digest, in the matrix's order.
	digests := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		name, digest, _ := strings.Cut(line, " ")
		digests[name] = digest
	}
	if len(digests) != 4 || digests[matrixCells[0]] == digests[matrixCells[1]] {
		t.Errorf("stdout digests: %v", digests)
	}
	s := readSummary(t, js)
	if s.Schema != "macabox.matrix/v1" || s.Matrix != "lines" || s.Verb != "build" || s.OK || !slices.Equal(s.Axes, []string{"base", "FLAVOR"}) {
		t.Errorf("summary head: %+v", s)
	}
	if len(s.Cells) != len(matrixCells) {
		t.Fatalf("%d cells in the summary, want %d", len(s.Cells), len(matrixCells))
	}
	for i := range tags {
		checkBuiltCell(t, s, i, digests, tags[i], nonce)
		if _, err := os.Stat(filepath.Join(work, "reports", "smoke."+matrixCells[i]+".json")); err != nil {
			t.Errorf("%s: no smoke report of its own: %v", matrixCells[i], err)
		}
	}
	if c := s.Cells[4]; c.Name != "lines-sim-3.0-broken" || c.OK || c.Build == nil || c.Build.Status != "failed" ||
		!strings.Contains(c.Build.Error, "broken") || c.Tests == nil || c.Tests.Status != "not run" {
		t.Errorf("the cell that does not build: %+v %+v %+v", c, c.Build, c.Tests)
	}
	checkMarkdownSummary(t, md, stderr, digests)

	// The cells' images stay: testing the matrix again needs no build; the
	// cell that did not build has no image to test.
	code, _, stderr = run(t, "test", "lines", "--root", dir, "--device", "none", "--summary", "json="+js, "--report", "junit="+filepath.Join(work, "junit.xml"))
	if s := readSummary(t, js); code != 1 || s.Verb != "test" || s.Cells[3].OK || !s.Cells[0].OK || s.Cells[0].Build != nil ||
		s.Cells[0].Tests.Passed != 2 || s.Cells[4].Tests.Status != "error" {
		t.Errorf("test lines: exit %d, summary %+v\n%s", code, s, stderr)
	}
	assertNoCellContainers(t)

	// A cell is a target of its own, built exactly as in the matrix.
	code, stdout, stderr = run(t, "build", "lines-sim-3.1-plain", "--root", dir, "--builder", env.BuildkitHost, "--base", base, "--progress", "quiet")
	if code != 0 || strings.TrimSpace(stdout) != digests["lines-sim-3.1-plain"] {
		t.Errorf("build of one cell: exit %d, %q, want %s\n%s", code, stdout, digests["lines-sim-3.1-plain"], stderr)
	}
}

// checkBuiltCell checks the summary of cell i of the first four, which
// build: its digest and tag, its tests (the gpu flavour fails one on the
// 3.1 line), and that the second cell on a base took the base's step from
// the cache.
func checkBuiltCell(t *testing.T, s matrixSummary, i int, digests map[string]string, tag, nonce string) {
	t.Helper()
	c := s.Cells[i]
	if c.Name != matrixCells[i] || c.Build == nil || c.Tests == nil {
		t.Fatalf("cell %d: %+v", i, c)
	}
	b, ts := c.Build, c.Tests
	if b.Status != "built" || !strings.HasPrefix(b.ManifestDigest, "sha256:") || digests[c.Name] != b.ManifestDigest || !slices.Equal(b.Tags, []string{tag}) {
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

// checkMarkdownSummary checks the table written to md and shown on stderr.
func checkMarkdownSummary(t *testing.T, md, stderr string, digests map[string]string) {
	t.Helper()
	table, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### ❌ macabox build of matrix lines: 3 of 5 cells passed\n",
		"| Cell | base | FLAVOR | Build | Digest | Passed | Failed | Skipped | XFail | Result |\n",
		"| lines-sim-3.0-plain | `sim-3.0` | `plain` | ✅ built | `" + digests["lines-sim-3.0-plain"] + "` | 2 | 0 | 1 | 1 | ✅ passed |\n",
		"| lines-sim-3.1-gpu | `sim-3.1` | `gpu` | ✅ built | `" + digests["lines-sim-3.1-gpu"] + "` | 1 | 1 | 1 | 1 | ❌ failed |\n",
		"| lines-sim-3.0-broken | `sim-3.0` | `broken` | ❌ failed | — | — | — | — | — | ❌ failed |\n",
		"<summary>❌ lines-sim-3.1-gpu: 1 of 4 tests failed</summary>",
		"<summary>❌ lines-sim-3.0-broken: build failed</summary>",
	} {
		if !strings.Contains(string(table), want) {
			t.Errorf("Markdown summary lacks %q:\n%s", want, table)
		}
	}
	if !strings.Contains(stderr, string(table)) {
		t.Errorf("the table is not shown on stderr:\n%s", stderr)
	}
}
