package catalog_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/catalog"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// treeFiles lists every file under images/ and recipes/ of the project, as
// slash paths relative to it.
func treeFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, top := range []string{"images", "recipes"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(files)
	return files
}

// TestEmbeddedCatalogIsTheTree: the binary carries every file of images/
// and recipes/, byte for byte, names starting with "_" (a Python package's
// __init__.py) included.
func TestEmbeddedCatalogIsTheTree(t *testing.T) {
	want := treeFiles(t)
	got, err := catalog.Files()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the catalog holds\n%q\nthe tree\n%q", got, want)
	}
	if !slices.Contains(got, "recipes/demo/src/macabox_demo/__init__.py") {
		t.Error("a file whose name starts with _ is missing")
	}
	for _, f := range got {
		embedded, err := catalog.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		disk, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(embedded, disk) {
			t.Errorf("%s differs from the tree: rebuild the test binary", f)
		}
	}
}

// TestNoCatalogFileIsExecutable: files built into the binary lose their
// mode, and the build context gives an executable source mode 0755; a
// catalog file must not be executable, or a target would build one way from
// a clone and another from the catalog.
func TestNoCatalogFileIsExecutable(t *testing.T) {
	for _, f := range treeFiles(t) {
		fi, err := os.Stat(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o111 != 0 {
			t.Errorf("%s is executable (%v); recipes run scripts with their interpreter instead", f, fi.Mode())
		}
	}
}

// TestEmbeddedTargetsPlanAsTheTree: every target planned from the catalog
// has the inputs, context and Dockerfile it has planned from a clone; only
// the positions in comments name the catalog.
func TestEmbeddedTargetsPlanAsTheTree(t *testing.T) {
	tree := loadCatalog(t)
	embedded, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(embedded, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatalf("the embedded catalog is invalid:\n%v", errs)
	}
	for _, name := range targets(tree) {
		want, err := pipeline.Prepare(tree, name, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := pipeline.Prepare(embedded, name, plan.Options{})
		if err != nil {
			t.Fatalf("%s from the catalog: %v", name, err)
		}
		if got.Plan.InputsDigest != want.Plan.InputsDigest {
			t.Errorf("%s: inputs %s from the catalog, %s from the tree", name, got.Plan.InputsDigest, want.Plan.InputsDigest)
		}
		df := bytes.ReplaceAll(got.Rendered.Dockerfile, []byte("catalog:"), nil)
		if !bytes.Equal(df, want.Rendered.Dockerfile) {
			t.Errorf("%s: the Dockerfile from the catalog differs beyond the positions", name)
		}
		if !bytes.Contains(got.Rendered.Dockerfile, []byte("# catalog:")) {
			t.Errorf("%s: the Dockerfile from the catalog does not name its positions there", name)
		}
		for i, c := range got.Plan.Context {
			w := want.Plan.Context[i]
			data, embeddedFile := c.Embedded()
			if !embeddedFile || c.Name != w.Name || c.SHA256 != w.SHA256 || c.Mode != w.Mode || len(data) == 0 || c.Source != "catalog:"+w.Source {
				t.Errorf("%s: context file %+v from the catalog, %+v from the tree", name, c, w)
			}
		}
		if len(got.RecipeFiles) != 0 {
			t.Errorf("%s: the catalog's files date a build: %v", name, got.RecipeFiles)
		}
	}
}

func TestDigestNamesTheContent(t *testing.T) {
	d1, err := catalog.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := catalog.Digest()
	if d1 != d2 || !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(d1) {
		t.Errorf("digests %q, %q", d1, d2)
	}
}
