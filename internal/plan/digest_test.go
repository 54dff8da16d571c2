package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// The inputs digest follows what the image is made of, and nothing else.
func TestInputsDigest(t *testing.T) {
	digestOf := func(t *testing.T, edit func(root string), args map[string]string) string {
		t.Helper()
		root := filepath.Join(t.TempDir(), "p")
		copyTree(t, filepath.Join("testdata", "simple"), root)
		if edit != nil {
			edit(root)
		}
		set, err := recipe.LoadTree(root)
		if err != nil {
			t.Fatal(err)
		}
		p, err := New(set, "hello-stack", Options{Args: args})
		if err != nil {
			t.Fatal(err)
		}
		return p.InputsDigest
	}
	layer := func(root string) string { return filepath.Join(root, "recipes", "hello", "hello.yaml") }
	rewrite := func(path, old, new string) func(string) {
		return func(root string) {
			file := filepath.Join(root, path)
			data, err := os.ReadFile(file)
			if err != nil || !strings.Contains(string(data), old) {
				t.Fatalf("%s has no %q (%v)", file, old, err)
			}
			if err := os.WriteFile(file, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := digestOf(t, nil, nil)
	if !strings.HasPrefix(base, "sha256:") || len(base) != len("sha256:")+64 {
		t.Fatalf("digest %q", base)
	}

	same := map[string]func(string){
		"a comment": func(root string) {
			data, _ := os.ReadFile(layer(root))
			os.WriteFile(layer(root), append([]byte("# a new comment\n\n"), data...), 0o644)
		},
		"flow style": rewrite("recipes/hello/hello.yaml", "apt: [ca-certificates, curl]", "apt:\n      - ca-certificates\n      - curl"),
		"an unrelated recipe": func(root string) {
			os.WriteFile(filepath.Join(root, "recipes", "other.yaml"), []byte("apiVersion: macabox/v1\nkind: Layer\nname: other\nsteps: [{run: 'true'}]\n"), 0o644)
		},
	}
	for what, edit := range same {
		if d := digestOf(t, edit, nil); d != base {
			t.Errorf("%s changes the digest", what)
		}
	}

	differ := map[string]func(string){
		"a package":           rewrite("recipes/hello/hello.yaml", "curl]", "wget]"),
		"a copied file":       rewrite("recipes/hello/hello.conf", "hello", "bye"),
		"a file in a folder":  rewrite("recipes/hello/bin/hello", "hello", "bye"),
		"an executable bit":   func(root string) { os.Chmod(filepath.Join(root, "recipes", "hello", "hello.conf"), 0o755) },
		"the stack's tags":    rewrite("recipes/hello/hello.yaml", "hello:latest", "hello:v2"),
		"the base image":      rewrite("images/maca-sim.yaml", "bookworm-slim", "bookworm"),
		"noRecommends: false": rewrite("recipes/hello/hello.yaml", "apt: [ca-certificates, curl]", "apt: {packages: [ca-certificates, curl], noRecommends: false}"),
	}
	seen := map[string]string{base: "the original"}
	for what, edit := range differ {
		d := digestOf(t, edit, nil)
		if prev, dup := seen[d]; dup {
			t.Errorf("%s gives the same digest as %s", what, prev)
		}
		seen[d] = what
	}
	if d := digestOf(t, nil, map[string]string{"GREETING": "hi"}); seen[d] != "" {
		t.Errorf("--set GREETING=hi gives the same digest as %s", seen[d])
	}
}
