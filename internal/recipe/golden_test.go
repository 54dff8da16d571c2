package recipe

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files of testdata/invalid")

func TestValidRecipes(t *testing.T) {
	s, err := LoadPaths("testdata/valid")
	if err != nil {
		t.Fatalf("loading: %v", err)
	}
	if len(s.Docs) == 0 {
		t.Fatal("no documents in testdata/valid")
	}
	if errs := Validate(s, testRules); errs != nil {
		t.Fatalf("validating:\n%v", errs)
	}
}

// TestInvalidRecipes loads each testdata/invalid case (a file, or a folder
// holding a tree or several files) and compares every problem reported by
// loading and validation with <case>.golden. Run with -update to rewrite.
func TestInvalidRecipes(t *testing.T) {
	entries, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name, isYAML := strings.CutSuffix(e.Name(), ".yaml")
		if !e.IsDir() && !isYAML {
			continue
		}
		t.Run(name, func(t *testing.T) {
			got := problems(t, filepath.Join("testdata", "invalid", e.Name()))
			golden := filepath.Join("testdata", "invalid", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/recipe -run TestInvalidRecipes -update)", err)
			}
			if got == "" {
				t.Fatal("an invalid case produced no error")
			}
			if got != string(want) {
				t.Errorf("problems differ from %s (-update rewrites it)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// problems loads and validates a case the way the CLI does.
func problems(t *testing.T, path string) string {
	t.Helper()
	load := LoadPaths
	if isTree(path) {
		load = func(paths ...string) (*Set, error) { return LoadTree(paths[0]) }
	}
	s, err := load(path)
	var all Errors
	if err != nil && !errors.As(err, &all) {
		t.Fatalf("loading %s: %v", path, err)
	}
	if s != nil {
		all = append(all, Validate(s, testRules)...)
	}
	if len(all) == 0 {
		return ""
	}
	return all.Error() + "\n"
}

func isTree(path string) bool {
	for _, d := range []string{"images", "recipes"} {
		if info, err := os.Stat(filepath.Join(path, d)); err == nil && info.IsDir() {
			return true
		}
	}
	return false
}
