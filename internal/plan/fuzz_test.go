package plan

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// FuzzRender puts an arbitrary run script and an arbitrary value through
// planning and rendering, and the result through BuildKit's parser: what it
// reads must be exactly the instructions the plan means, each script
// arriving as written. A value may be refused, but only with a problem at a
// recipe position; a script that fits a Dockerfile line is never refused.
func FuzzRender(f *testing.F) {
	for _, s := range append(append([]string{}, hostile...), scripts...) {
		f.Add(s, s)
	}
	for _, s := range []string{
		"#", "# comment", "#!/bin/sh\necho x", " #", "\u00a0#", "\u2028#", "echo a\\", "\\", "\\\n#x",
		"<<EOF\nx\nEOF", "cat <<-EOF", "RUN x", "\nUSER root", "[\"/bin/sh\"]", "--network=host", "\t", "${V}", "$${V}",
	} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, script, value string) {
		fuzzScript(t, script)
		fuzzValue(t, value)
	})
}

// fuzzScript renders the script as run steps with every kind of flag, each
// followed by a USER instruction it must not swallow.
func fuzzScript(t *testing.T, script string) {
	root := t.TempDir()
	m := &mem{file: filepath.Join(root, "recipes", "fz", "fz.yaml")}
	layer := &recipe.Layer{Header: m.header(recipe.KindLayer, "fz")}
	for _, flags := range []func(*recipe.RunStep){
		func(*recipe.RunStep) {},
		func(r *recipe.RunStep) { r.Network = m.s("none") },
		func(r *recipe.RunStep) { r.Secrets, r.Cache = m.list("tok"), m.list("/c") },
	} {
		rs := &recipe.RunStep{Script: m.s(script)}
		flags(rs)
		layer.Steps = append(layer.Steps, recipe.Step{Pos: m.pos(), Run: rs}, recipe.Step{Pos: m.pos(), User: ptr(m.s("nobody"))})
	}
	p, err := New(memSet(root, layer, nil), "test", Options{})
	if strings.TrimSpace(script) == "" {
		if err == nil {
			t.Fatal("an empty script is planned")
		}
		return
	}
	if err != nil {
		t.Fatalf("script %q: %v", script, err)
	}
	r, err := Render(p)
	if !utf8.ValidString(script) {
		if err == nil {
			t.Fatalf("script %q is not UTF-8 and renders", script)
		}
		return
	}
	if err != nil {
		t.Fatalf("script %q: %v", script, err)
	}
	if err := readsAsPlanned(p, r); err != nil {
		t.Fatalf("script %q:\n%v", script, err)
	}
}

// fuzzValue substitutes the value (given with --set, so taken literally)
// into structured fields, and writes it as recipe text into others.
func fuzzValue(t *testing.T, value string) {
	root := t.TempDir()
	m := &mem{file: filepath.Join(root, "recipes", "fz", "fz.yaml")}
	layer := &recipe.Layer{
		Header: m.header(recipe.KindLayer, "fz"),
		Args:   m.kv("V", "x"),
		Env:    m.kv("E", "${V}", "R", value),
		Steps: []recipe.Step{
			{Pos: m.pos(), Apt: &recipe.AptStep{Packages: m.list("p${V}")}},
			{Pos: m.pos(), Pip: &recipe.PipStep{Packages: m.list("q${V}"), Index: m.s("https://h.example/${V}")}},
			{Pos: m.pos(), Git: &recipe.GitStep{URL: m.s("https://h.example/r.git"), Ref: m.s("${V}"), Dest: m.s("/src")}},
			{Pos: m.pos(), Workdir: ptr(m.s("/w/${V}"))},
			{Pos: m.pos(), User: ptr(m.s("${V}"))},
			{Pos: m.pos(), Env: m.kv("F", value)},
			{Pos: m.pos(), Run: &recipe.RunStep{Script: m.s(`echo "$V"`), Network: m.s("none")}},
		},
	}
	set := memSet(root, layer, func(img *recipe.Image) {
		im := &mem{file: filepath.Join(root, "images", "base.yaml"), line: 100}
		img.Labels = im.kv("v", "${V}", "raw", value)
	})
	p, err := New(set, "test", Options{Args: map[string]string{"V": value}})
	if err != nil {
		var errs recipe.Errors
		if !errors.As(err, &errs) && !strings.HasPrefix(err.Error(), "--set V: ") {
			t.Fatalf("value %q refused without a position: %v", value, err)
		}
		return
	}
	r, err := Render(p)
	if err != nil {
		if !strings.HasPrefix(err.Error(), filepath.ToSlash(filepath.Join("recipes", "fz"))) && !strings.HasPrefix(err.Error(), "images/") {
			t.Fatalf("value %q refused without a position: %v", value, err)
		}
		return
	}
	if err := readsAsPlanned(p, r); err != nil {
		t.Fatalf("value %q:\n%v", value, err)
	}
}
