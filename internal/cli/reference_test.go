package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// TestReferenceInSync fails when docs/reference/cli no longer matches the commands.
func TestReferenceInSync(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "reference", "cli")
	want, err := ReferenceFiles()
	if err != nil {
		t.Fatal(err)
	}
	onDisk, _ := filepath.Glob(filepath.Join(dir, "macabox*.md"))
	var stale []string
	for _, f := range onDisk {
		if _, ok := want[filepath.Base(f)]; !ok {
			stale = append(stale, filepath.Base(f))
		}
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, data) {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Fatalf("the CLI reference in %s is out of date (%v): run `make generate`", dir, stale)
	}
}
