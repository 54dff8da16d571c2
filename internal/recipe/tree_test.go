package recipe

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadTree(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "images", "b.yaml"), "apiVersion: macabox/v1\nkind: Image\nname: b\nfrom: scratch\n")
	writeFile(t, filepath.Join(root, "images", "a.yml"), "apiVersion: macabox/v1\nkind: Image\nname: a\nfrom: scratch\n")
	writeFile(t, filepath.Join(root, "recipes", "app", "app.yaml"), `apiVersion: macabox/v1
kind: Layer
name: app
steps: [{run: "true"}]
---
apiVersion: macabox/v1
kind: Stack
name: app-on-a
base: a
layers: [app]
`)
	writeFile(t, filepath.Join(root, "recipes", "app", "README.md"), "not a recipe")
	writeFile(t, filepath.Join(root, "recipes", ".hidden", "x.yaml"), "garbage: [")

	s, err := LoadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if s.Root != root {
		t.Errorf("Root = %q", s.Root)
	}
	var names []string
	for _, d := range s.Docs {
		names = append(names, d.Name())
	}
	if got, want := names, []string{"a", "b", "app", "app-on-a"}; !slices.Equal(got, want) {
		t.Errorf("docs = %v, want %v", got, want)
	}
	d, ok := s.Lookup("app")
	if !ok || d.Layer == nil || d.Dir() != filepath.Join(root, "recipes", "app") {
		t.Errorf("Lookup(app) = %+v, %v", d, ok)
	}
	if _, ok := s.Lookup("nope"); ok {
		t.Error("Lookup(nope) found something")
	}
	if got := s.Images(); len(got) != 2 || got[0].Name() != "a" {
		t.Errorf("Images() = %v", got)
	}
	if len(s.Layers()) != 1 || len(s.Stacks()) != 1 {
		t.Errorf("Layers() = %v, Stacks() = %v", s.Layers(), s.Stacks())
	}
}

func TestLoadPathsCollectsErrorsOfAllFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "one.yaml"), "apiVersion: macabox/v1\nkind: Image\nname: one\n")
	writeFile(t, filepath.Join(dir, "two.yaml"), "apiVersion: macabox/v2\nkind: Image\nname: two\n")
	s, err := LoadPaths(dir)
	errs, ok := err.(Errors)
	if !ok || len(errs) != 2 {
		t.Fatalf("got %v, want 2 recipe errors", err)
	}
	if len(s.Docs) != 1 {
		t.Errorf("got %d documents, want the one that could be read", len(s.Docs))
	}
}

func TestLoadTreeWithoutFolders(t *testing.T) {
	if _, err := LoadTree(t.TempDir()); err == nil {
		t.Error("no error for a tree without images/ or recipes/")
	}
}
