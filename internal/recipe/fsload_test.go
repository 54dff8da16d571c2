package recipe

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoadFS: recipes read from an fs.FS name their files label:path in
// positions, take their copy sources from the same FS under the rule that
// applies on disk, and say where their lock would be.
func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"images/base.yaml": {Data: []byte("apiVersion: macabox/v1\nkind: Image\nname: base\nfrom: debian:bookworm\n")},
		"recipes/app/app.yaml": {Data: []byte(`apiVersion: macabox/v1
kind: Layer
name: app
steps:
  - copy: {src: [tools, "data/*.txt", _init.py], dest: /opt/app/}
  - copy: {src: [missing.sh], dest: /opt/app/}
`)},
		"recipes/app/tools/run.py":     {Data: []byte("print(1)\n")},
		"recipes/app/tools/.hidden":    {Data: []byte("x")},
		"recipes/app/data/a.txt":       {Data: []byte("a")},
		"recipes/app/data/b.txt":       {Data: []byte("b")},
		"recipes/app/data/c.csv":       {Data: []byte("c")},
		"recipes/app/_init.py":         {Data: []byte("")},
		"recipes/app/app.lock.yaml":    {Data: []byte("not a recipe")},
		"recipes/.hidden/skipped.yaml": {Data: []byte("not: read")},
	}
	set, err := LoadFS(fsys, "catalog")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Docs) != 2 {
		t.Fatalf("%d documents, want 2", len(set.Docs))
	}
	app, _ := set.Lookup("app")
	if app.File != "catalog:recipes/app/app.yaml" || app.Embedded == nil || app.Embedded.Path != "recipes/app/app.yaml" {
		t.Errorf("document read as %q, %+v", app.File, app.Embedded)
	}
	if got := app.Header().Name.Pos.String(); got != "catalog:recipes/app/app.yaml:3:7" {
		t.Errorf("name at %s", got)
	}
	if _, name, ok := app.LockOf("app-stack"); !ok || name != "recipes/app/app-stack.lock.yaml" {
		t.Errorf("lock at %q, %v", name, ok)
	}

	var got []string
	for _, src := range []string{"tools", "data/*.txt", "_init.py"} {
		cs, err := app.CopySource(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, f := range cs.Files {
			data, err := f.Read()
			if err != nil || !f.Embedded() || f.Mode()&0o111 != 0 {
				t.Errorf("%s: %v, embedded %v, mode %v", f.Rel, err, f.Embedded(), f.Mode())
			}
			got = append(got, f.Rel+"="+string(data)+"@"+f.Path)
		}
	}
	want := "tools/.hidden=x@catalog:recipes/app/tools/.hidden tools/run.py=print(1)\n@catalog:recipes/app/tools/run.py data/a.txt=a@catalog:recipes/app/data/a.txt data/b.txt=b@catalog:recipes/app/data/b.txt _init.py=@catalog:recipes/app/_init.py"
	if strings.Join(got, " ") != want {
		t.Errorf("copied\n%q\nwant\n%q", strings.Join(got, " "), want)
	}

	errs := Validate(set, testRules)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `catalog:recipes/app/app.yaml:6:18: field "src": no file "missing.sh" beside the recipe`) {
		t.Errorf("validation:\n%v", errs)
	}
	for _, bad := range []string{"../../images/base.yaml", "/etc/passwd", "*.none"} {
		if _, err := app.CopySource(bad); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}
