package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// filesBelow lists every file below dir with its content.
func filesBelow(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func validIn(t *testing.T, root string) *recipe.Set {
	t.Helper()
	set, err := LoadSet(root)
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatalf("the project does not validate:\n%v", errs)
	}
	return set
}

func TestInitWritesAProjectThatValidates(t *testing.T) {
	root := t.TempDir()
	res, err := Init(InitOptions{Root: root, Name: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"recipes/hello/hello.yaml", "docs/hello.md", "docs/hello.zh-CN.md", "recipes/recipe.schema.json"}
	if !slices.Equal(res.Written, want) || len(res.Kept) != 0 || res.Base != "maca-3.8" || !slices.Equal(res.Stacks, []string{"hello-maca-3.8", "hello-maca-sim"}) {
		t.Errorf("result %+v", res)
	}
	set := validIn(t, root)
	for _, name := range []string{"hello", "hello-maca-3.8", "hello-maca-sim"} {
		if d, ok := set.Lookup(name); !ok || d.Embedded != nil {
			t.Errorf("%s is not in the tree", name)
		}
	}
	if d, _ := set.Lookup("hello-maca-sim"); d.Stack.Base.Value != "maca-sim" {
		t.Errorf("the offline stack is on %s", d.Stack.Base.Value)
	}

	res, err = Init(InitOptions{Root: root, Name: "world", Base: "maca-3.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Kept, []string{"recipes/recipe.schema.json"}) || res.Base != "maca-3.1" {
		t.Errorf("second project: %+v", res)
	}
	validIn(t, root)
}

// TestInitRefusesAndWritesNothing: every bad input is an error that says
// what is wrong, before a single file is written.
func TestInitRefusesAndWritesNothing(t *testing.T) {
	root := tree(t, map[string]string{
		"recipes/taken/notes.txt": "someone else's project\n",
		"docs/documented.md":      "# documented\n",
		"recipes/other.yaml":      "apiVersion: macabox/v1\nkind: Stack\nname: mine-maca-3.8\nbase: maca-3.8\nlayers: [mineru]\n",
	})
	before := filesBelow(t, root)
	for _, c := range []struct {
		o    InitOptions
		want string
	}{
		{InitOptions{Name: "Hello_World"}, "is not a valid name"},
		{InitOptions{Name: "hello", Base: "maca-9.9"}, "--base maca-9.9: no image of that name; images: maca-3.0"},
		{InitOptions{Name: "hello", From: "nosuch"}, "--from nosuch: the catalog has no layer of that name; its layers: infinicore"},
		{InitOptions{Name: "taken"}, "already exists and holds notes.txt: init writes a new project's folder only"},
		{InitOptions{Name: "documented"}, filepath.Join("docs", "documented.md") + " already exists"},
		{InitOptions{Name: "mineru"}, "mineru is a layer of the catalog: start from it with --from mineru"},
		{InitOptions{Name: "maca-sim"}, "maca-sim is the Image catalog:images/maca-sim.yaml of the catalog"},
		{InitOptions{Name: "mine"}, "mine-maca-3.8 is already the Stack at"},
	} {
		c.o.Root = root
		_, err := Init(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v\nwant %q", c.o, err, c.want)
		}
		if got := filesBelow(t, root); len(got) != len(before) {
			t.Fatalf("%+v wrote files: %v", c.o, got)
		}
	}
}

// TestInitFrom: a project started from a catalog layer is a renamed copy of
// it with the files its copy steps take; under the layer's own name it
// replaces the catalog's.
func TestInitFrom(t *testing.T) {
	root := t.TempDir()
	res, err := Init(InitOptions{Root: root, Name: "mineru-fork", From: "mineru"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Stacks, []string{"mineru-fork-maca-3.0"}) {
		t.Errorf("stacks %v", res.Stacks)
	}
	for _, f := range []string{"recipes/mineru-fork/tools/relabel_torchvision.py", "recipes/mineru-fork/samples/make_sample_pdf.py", "recipes/mineru-fork/tests/api_probe.py"} {
		if !slices.Contains(res.Written, f) {
			t.Errorf("%s not written: %v", f, res.Written)
		}
	}
	set := validIn(t, root)
	d, ok := set.Lookup("mineru-fork")
	if !ok || d.Layer == nil || d.Header().Name.Pos.Line < 2 {
		t.Fatalf("the copy is not a layer named mineru-fork")
	}
	if orig, _ := set.Lookup("mineru"); orig.Embedded == nil || len(orig.Layer.Steps) != len(d.Layer.Steps) {
		t.Errorf("the copy has %d steps, the catalog's layer %d", len(d.Layer.Steps), len(orig.Layer.Steps))
	}

	root = t.TempDir()
	if _, err := Init(InitOptions{Root: root, Name: "mineru", From: "mineru"}); err != nil {
		t.Fatal(err)
	}
	overrides, err := CatalogOverrides(validIn(t, root))
	if err != nil || len(overrides) != 1 || overrides[0].Local.Name() != "mineru" || overrides[0].Copy {
		t.Errorf("overrides %+v, %v", overrides, err)
	}
}
