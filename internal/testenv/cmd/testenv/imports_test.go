package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/ccf-ai-infra/macabox/"

// scripts/testenv.sh rebuilds this command when a Go file under
// internal/testenv changes, and it must build in seconds on a fresh
// machine: it may import the standard library and internal/testenv's
// packages, nothing else.
func TestCommandImportsOnlyStdAndInternalTestenv(t *testing.T) {
	seen := map[string]bool{}
	var visit func(dir string)
	visit = func(dir string) {
		if seen[dir] {
			return
		}
		seen[dir] = true
		pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi os.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range pkgs {
			for name, f := range pkg.Files {
				for _, imp := range f.Imports {
					path := strings.Trim(imp.Path.Value, `"`)
					switch {
					case strings.HasPrefix(path, module+"internal/testenv/"):
						visit(filepath.Join("../../../..", strings.TrimPrefix(path, module)))
					case strings.Contains(strings.SplitN(path, "/", 2)[0], "."):
						t.Errorf("%s imports %s", name, path)
					}
				}
			}
		}
	}
	visit(".")
	if !seen[filepath.Join("../../../..", "internal/testenv/world")] {
		t.Errorf("the walk never reached internal/testenv/world: %v", seen)
	}
}
