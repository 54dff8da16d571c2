package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// tree writes files into a new folder and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const localSim = `apiVersion: macabox/v1
kind: Image
name: maca-sim
description: our own mirror of the simulated base
from: registry.example/maca-sim:3.0.0.5
simulated: true
maca: {version: 3.0.0.5}
python: {path: /opt/conda/bin/python3, version: "3.11"}
os: debian12
`

// TestCatalogUnderTheTree: outside any tree the catalog alone resolves; a
// local document replaces the catalog's of its name and kind, once, and the
// catalog's stacks build on it.
func TestCatalogUnderTheTree(t *testing.T) {
	t.Setenv(RootEnv, "")
	t.Chdir(t.TempDir())
	tg, err := ResolveTarget("", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := tg.Set.Lookup("demo"); d.Embedded == nil || d.File != "catalog:recipes/demo/demo.yaml" {
		t.Errorf("demo read from %q", d.File)
	}

	root := tree(t, map[string]string{"images/sim.yaml": localSim})
	set, err := LoadSet(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range set.Docs {
		if d.Name() == "maca-sim" {
			n++
			if d.Embedded != nil {
				t.Errorf("maca-sim is the catalog's, not the local one")
			}
		}
	}
	if n != 1 {
		t.Errorf("maca-sim is in the set %d times", n)
	}
	overrides, err := CatalogOverrides(set)
	if err != nil || len(overrides) != 1 || overrides[0].Copy || overrides[0].Catalog.File != "catalog:images/maca-sim.yaml" {
		t.Errorf("overrides %+v, %v", overrides, err)
	}
	tg, err = ResolveTarget(root, "demo")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := Prepare(tg.Set, "demo", plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Plan.BaseRef != "registry.example/maca-sim:3.0.0.5" {
		t.Errorf("the catalog's demo stack starts from %s, not the local maca-sim", pr.Plan.BaseRef)
	}
	if len(pr.RecipeFiles) != 1 || pr.RecipeFiles[0] != filepath.Join(root, "images/sim.yaml") {
		t.Errorf("files dating the build: %v", pr.RecipeFiles)
	}
}

// TestShadowOfAnotherKind: a local Layer named like a catalog Image cannot
// be meant as an override; the problem names both files.
func TestShadowOfAnotherKind(t *testing.T) {
	root := tree(t, map[string]string{"recipes/x.yaml": "apiVersion: macabox/v1\nkind: Layer\nname: maca-sim\nsteps:\n  - run: \"true\"\n"})
	_, err := LoadSet(root)
	var errs recipe.Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("LoadSet: %v", err)
	}
	msg := errs[0].Error()
	for _, want := range []string{filepath.Join(root, "recipes/x.yaml") + ":3:7", "catalog:images/maca-sim.yaml:14:1", `Layer "maca-sim" shadows the catalog's Image`} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

// TestExportCatalog: the catalog written out is a tree of copies, which
// validates and overrides nothing; a second export writes nothing.
func TestExportCatalog(t *testing.T) {
	dir := t.TempDir()
	files, err := ExportCatalog(dir)
	if err != nil || len(files) < 20 {
		t.Fatalf("%d files, %v", len(files), err)
	}
	set, err := LoadSet(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range set.Docs {
		if d.Embedded != nil {
			t.Errorf("%s is still read from the catalog", d.Name())
		}
	}
	overrides, _ := CatalogOverrides(set)
	for _, o := range overrides {
		if !o.Copy {
			t.Errorf("%s differs from the catalog's", o.Local.File)
		}
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	again, err := ExportCatalog(dir)
	if err == nil || !errors.Is(err, ErrCannot) || len(again) != 0 || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("second export: %v, wrote %v", err, again)
	}
	if _, err := os.Stat(files[0]); err == nil {
		t.Errorf("%s was written although other files existed", files[0])
	}
}

// TestCatalogTargetLock: a catalog target's lock is written into the
// user's tree at the catalog's path, and read from there.
func TestCatalogTargetLock(t *testing.T) {
	root := tree(t, map[string]string{"recipes/.keep": ""})
	tg, err := ResolveTarget(root, "demo")
	if err != nil {
		t.Fatal(err)
	}
	site := lockSiteOf(tg)
	if want := filepath.Join(root, "recipes/demo/demo.lock.yaml"); site.file != want || site.fsys == nil {
		t.Fatalf("lock site %+v, want %s", site, want)
	}
	l, from, err := site.read()
	if l != nil || err != nil || from != site.file {
		t.Errorf("no lock yet: %v, %s, %v", l, from, err)
	}
	if err := os.MkdirAll(filepath.Dir(site.file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(site.file, []byte("target: demo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, from, err = site.read()
	var errs recipe.Errors
	if !errors.As(err, &errs) || from != site.file || !strings.Contains(err.Error(), site.file) {
		t.Errorf("a broken local lock: %s, %v", from, err)
	}
}

// TestCatalogProblemsOnlyWhereUsed: a base replaced in the user's tree may
// no longer fit a catalog stack on it. That stack's problem stops a build
// of it, but not the user's own work.
func TestCatalogProblemsOnlyWhereUsed(t *testing.T) {
	bare := "apiVersion: macabox/v1\nkind: Image\nname: maca-sim\nfrom: registry.example/sim:1\nsimulated: true\nmaca: {version: 3.0.0.5}\n"
	root := tree(t, map[string]string{
		"images/sim.yaml":    bare,
		"recipes/mine.yaml":  "apiVersion: macabox/v1\nkind: Stack\nname: mine\nbase: maca-sim\nlayers: []\n",
		"recipes/other.yaml": "apiVersion: macabox/v1\nkind: Image\nname: other\nfrom: registry.example/other:1\n",
	})
	set, err := LoadSet(root)
	if err != nil {
		t.Fatal(err)
	}
	if errs := Validate(set); len(errs) > 0 {
		t.Errorf("the user's tree is valid, but:\n%v", errs)
	}
	if _, err := ResolveTarget(root, "mine"); err != nil {
		t.Errorf("building mine: %v", err)
	}
	_, err = ResolveTarget(root, "demo")
	if err == nil || !strings.Contains(err.Error(), `catalog:recipes/demo/demo.yaml`) || !strings.Contains(err.Error(), `image "maca-sim" declares no os`) {
		t.Errorf("building the catalog's demo on the bare maca-sim: %v", err)
	}
}
