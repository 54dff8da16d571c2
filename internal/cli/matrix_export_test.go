package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLockAndExportMatrix locks every cell of a matrix beside it, lists
// the cells with their locks, tests the locked cells and exports one
// bundle per cell, each a bundle of that cell that verifies and carries
// the cell's own lock and test report.
func TestLockAndExportMatrix(t *testing.T) {
	r := newMatrixRun(t, "exclude:\n  - {FLAVOR: plain}\n", "gpu-3.0.0.5", "gpu-3.1.0.7")
	env, work, dir, base := r.env, r.work, r.dir, r.base
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
	checkListedCells(t, dir, cells)

	// Test the locked cells, each with a CTRF report of its own; the 3.1
	// cell fails a test, and its report says so.
	report := filepath.Join(work, "results.ctrf.json")
	code, _, stderr = run(t, "build", "lines", "--root", dir, "--locked", "--test", "--device", "none",
		"--builder", env.BuildkitHost, "--base", base, "--progress", "quiet", "--report", "ctrf="+report)
	if code != 1 {
		t.Fatalf("build --locked --test: exit %d, want 1\n%s", code, stderr)
	}
	assertNoCellContainers(t)

	out := filepath.Join(work, "bundles")
	js := filepath.Join(work, "matrix.json")
	code, stdout, stderr = run(t, "export", "lines", "--root", dir, "-o", out, "--builder", env.BuildkitHost,
		"--base", base, "--progress", "quiet", "--summary", "json="+js, "--test-report", report)
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
	// Each cell has a lock, so each bundle is built locked and ships it,
	// with the cell's own test report.
	for _, c := range cells {
		listing, err := exec.Command("tar", "-tzf", filepath.Join(out, c+".tar.gz")).Output()
		files := strings.Split(string(listing), "\n")
		if err != nil || !slices.Contains(files, "lock.yaml") || !slices.Contains(files, "evidence/results.ctrf.json") {
			t.Errorf("bundle of %s: %v\n%s", c, err, listing)
		}
	}
}

// checkListedCells checks that list shows the matrix's cells, and only
// those, each with a current lock.
func checkListedCells(t *testing.T, dir string, cells []string) {
	t.Helper()
	code, stdout, stderr := run(t, "list", "--root", dir, "--json")
	var entries []struct {
		Name, Kind, Matrix, Base string
		Cells                    []string
		Values                   []struct{ Axis, Value string }
		Lock                     *struct{ Current bool }
	}
	if err := json.Unmarshal([]byte(stdout), &entries); code != 0 || err != nil {
		t.Fatalf("list --json: exit %d, %v\n%s", code, err, stderr)
	}
	var listed []string
	for _, e := range entries {
		switch {
		case e.Kind == "Matrix" && !slices.Equal(e.Cells, cells):
			t.Errorf("the matrix lists cells %v, want %v", e.Cells, cells)
		case e.Matrix == "lines":
			listed = append(listed, e.Name)
			if e.Kind != "Stack" || e.Lock == nil || !e.Lock.Current || len(e.Values) != 2 || e.Values[1].Value != "gpu" || e.Base != e.Values[0].Value {
				t.Errorf("cell %+v", e)
			}
		}
	}
	if !slices.Equal(listed, cells) {
		t.Errorf("listed cells %v, want %v", listed, cells)
	}
	// In the table a cell is indented under its matrix, of kind "cell".
	code, stdout, _ = run(t, "list", "--root", dir)
	var row []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "  "+cells[1]+" ") {
			row = strings.Fields(line)
		}
	}
	if code != 0 || len(row) != 6 || !slices.Equal(row[1:5], []string{"cell", "sim-3.1", "current", "local"}) {
		t.Errorf("list: exit %d, row %q\n%s", code, row, stdout)
	}
}
