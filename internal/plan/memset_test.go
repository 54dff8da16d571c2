package plan

import (
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// mem builds recipe values in code, each with a position of its own, for
// tests that go beyond what the recipe validator lets through.
type mem struct {
	file string
	line int
}

func (m *mem) pos() recipe.Pos {
	m.line++
	return recipe.Pos{File: m.file, Line: m.line, Col: 3}
}

func (m *mem) s(v string) recipe.Str { return recipe.Str{Value: v, Pos: m.pos()} }

func (m *mem) list(vs ...string) []recipe.Str {
	out := make([]recipe.Str, len(vs))
	for i, v := range vs {
		out[i] = m.s(v)
	}
	return out
}

func (m *mem) kv(pairs ...string) recipe.Map {
	var out recipe.Map
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, recipe.KV{Key: m.s(pairs[i]), Value: m.s(pairs[i+1])})
	}
	return out
}

func (m *mem) header(kind recipe.Kind, name string) recipe.Header {
	return recipe.Header{APIVersion: m.s(recipe.APIVersion), Kind: m.s(string(kind)), Name: m.s(name)}
}

// lit writes a literal in the recipe syntax of structured values, where a
// dollar sign is doubled.
func lit(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// memSet is a stack "test" of the image "base" (from debian) and the given
// layer, with its documents placed under root.
func memSet(root string, layer *recipe.Layer, image func(*recipe.Image)) *recipe.Set {
	im := &mem{file: filepath.Join(root, "images", "base.yaml")}
	img := &recipe.Image{
		Header: im.header(recipe.KindImage, "base"),
		From:   im.s("docker.io/library/debian:bookworm"),
		MACA:   &recipe.MACAInfo{Version: im.s("3.0.0.5")},
		Python: &recipe.Python{Path: im.s("/usr/bin/python3")},
	}
	if image != nil {
		image(img)
	}
	sm := &mem{file: filepath.Join(root, "recipes", "test", "stack.yaml")}
	st := &recipe.Stack{
		Header: sm.header(recipe.KindStack, "test"),
		Base:   sm.s("base"),
		Layers: sm.list(layer.Name.Value),
	}
	return &recipe.Set{Root: root, Docs: []*recipe.Document{
		{File: im.file, Pos: recipe.Pos{File: im.file, Line: 1, Col: 1}, Image: img},
		{File: layer.Name.Pos.File, Pos: recipe.Pos{File: layer.Name.Pos.File, Line: 1, Col: 1}, Layer: layer},
		{File: sm.file, Pos: recipe.Pos{File: sm.file, Line: 1, Col: 1}, Stack: st},
	}}
}
