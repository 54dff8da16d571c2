package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

func listJSON(t *testing.T, args ...string) map[string][]pipeline.ListEntry {
	t.Helper()
	code, stdout, stderr := run(t, append([]string{"list", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var entries []pipeline.ListEntry
	if err := json.Unmarshal([]byte(stdout), &entries); err != nil {
		t.Fatal(err)
	}
	byName := map[string][]pipeline.ListEntry{}
	for _, e := range entries {
		byName[e.Name] = append(byName[e.Name], e)
	}
	return byName
}

// TestListOutsideAnyTree: with no recipe tree around, list shows the
// catalog, each entry with its origin; a local document of a catalog name
// is listed once, with its file, and validate says once that it replaces
// the catalog's.
func TestListOutsideAnyTree(t *testing.T) {
	t.Setenv(pipeline.RootEnv, "")
	sim, err := os.ReadFile(filepath.Join(repoRoot, "images", "maca-sim.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	entries := listJSON(t)
	for _, name := range []string{"maca-3.0", "maca-3.8", "maca-sim", "mineru", "vllm-metax", "demo"} {
		e := entries[name]
		if len(e) != 1 || !strings.HasPrefix(e[0].Origin, "catalog@") || !strings.HasPrefix(e[0].File, "catalog:") {
			t.Errorf("%s: %+v", name, e)
		}
	}
	_, text, _ := run(t, "list")
	if !strings.Contains(text, "ORIGIN") || !strings.Contains(text, "catalog@") {
		t.Errorf("list does not show origins:\n%s", text)
	}

	local := strings.Replace(string(sim), "description: >-", "description: >-\n  Our own copy.", 1)
	if err := os.MkdirAll("images", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("images", "maca-sim.yaml"), []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	e := listJSON(t)["maca-sim"]
	if len(e) != 1 || e[0].Origin != "local" || e[0].File != filepath.Join("images", "maca-sim.yaml") || e[0].Overrides != "catalog:images/maca-sim.yaml" {
		t.Errorf("the override is listed as %+v", e)
	}
	code, _, stderr := run(t, "validate")
	if code != 0 || strings.Count(stderr, "info:") != 1 || !strings.Contains(stderr, `images/maca-sim.yaml:14:1: info: Image "maca-sim" replaces the catalog's (catalog:images/maca-sim.yaml:14:1)`) {
		t.Errorf("validate: exit %d\n%s", code, stderr)
	}
}

// TestCatalogExport: the catalog is written once; a second time nothing is
// written and the exit code says the work could not be done.
func TestCatalogExport(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := run(t, "catalog", "export", dir)
	if code != 0 || !strings.Contains(stdout, filepath.Join(dir, "images", "maca-sim.yaml")) || !strings.Contains(stderr, "of catalog@") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr = run(t, "catalog", "export", dir); code != 2 || stdout != "" || !strings.Contains(stderr, "already holds") {
		t.Errorf("second export: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
