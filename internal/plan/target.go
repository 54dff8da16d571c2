package plan

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// findTarget looks the target up by name, then as a recipe file.
func findTarget(set *recipe.Set, target string) (*recipe.Document, error) {
	if d, ok := set.Lookup(target); ok {
		return d, nil
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", target, err)
	}
	var inFile []*recipe.Document
	for _, d := range set.Docs {
		if da, err := filepath.Abs(d.File); err == nil && da == abs {
			inFile = append(inFile, d)
		}
	}
	var buildable []*recipe.Document
	for _, d := range inFile {
		if d.Kind() != recipe.KindLayer {
			buildable = append(buildable, d)
		}
	}
	switch {
	case len(buildable) == 1:
		return buildable[0], nil
	case len(buildable) > 1:
		names := make([]string, len(buildable))
		for i, d := range buildable {
			names[i] = d.Name()
		}
		return nil, fmt.Errorf("target %q holds several images or stacks (%s); name one", target, strings.Join(names, ", "))
	case len(inFile) > 0:
		return inFile[0], nil
	}
	return nil, fmt.Errorf("unknown target %q; known: %s", target, strings.Join(buildableNames(set), ", "))
}

func buildableNames(set *recipe.Set) []string {
	var names []string
	for _, d := range append(set.Stacks(), set.Images()...) {
		names = append(names, d.Name())
	}
	slices.Sort(names)
	return names
}

// chain collects the units of the target: for a stack, its base image's
// chain and its layers; for an image, its own chain. An image whose `from`
// names another Image of the set is built on top of that image.
func (r *resolver) chain(doc *recipe.Document) error {
	var img *recipe.Document
	switch doc.Kind() {
	case recipe.KindLayer:
		h := doc.Header()
		return recipe.Errors{{Pos: h.Name.Pos, Msg: fmt.Sprintf(
			"layer %q cannot be built on its own: it needs a base image; write a Stack with base: <image> and layers: [%s]",
			doc.Name(), doc.Name())}}.Err()
	case recipe.KindMatrix:
		cells := recipe.Cells(doc)
		return recipe.Errors{{Pos: doc.Header().Name.Pos, Msg: fmt.Sprintf(
			"matrix %q is not one image but %d cells (%s): name one of them, or build, test, export or lock the matrix as a whole",
			doc.Name(), len(cells), strings.Join(namesOf(cells), ", "))}}.Err()
	case recipe.KindImage:
		img = doc
	case recipe.KindStack:
		st := doc.Stack
		d, ok := r.set.Lookup(st.Base.Value)
		if !ok || d.Kind() != recipe.KindImage {
			return recipe.Errors{{Pos: st.Base.Pos, Field: "base", Msg: fmt.Sprintf(
				"%q is not an Image; known images: %s", st.Base.Value, strings.Join(namesOf(r.set.Images()), ", "))}}.Err()
		}
		img = d
	default:
		return fmt.Errorf("target %q has no kind", doc.Name())
	}

	var images []*recipe.Document
	seen := map[string]bool{}
	for d := img; d != nil; {
		if seen[d.Name()] {
			return recipe.Errors{{Pos: d.Image.From.Pos, Field: "from", Msg: fmt.Sprintf("image %q is built on itself through its from chain", d.Name())}}.Err()
		}
		seen[d.Name()] = true
		images = append(images, d)
		parent, ok := r.set.Lookup(d.Image.From.Value)
		if !ok || parent.Kind() != recipe.KindImage {
			break
		}
		d = parent
	}
	slices.Reverse(images)
	for _, d := range images {
		r.units = append(r.units, newUnit(d))
	}

	if doc.Kind() == recipe.KindStack {
		for _, l := range doc.Stack.Layers {
			d, ok := r.set.Lookup(l.Value)
			if !ok || d.Kind() != recipe.KindLayer {
				r.fail(l.Pos, "layers", "%q is not a Layer; known layers: %s", l.Value, strings.Join(namesOf(r.set.Layers()), ", "))
				continue
			}
			if seen[d.Name()] {
				r.fail(l.Pos, "layers", "layer %q is listed twice", l.Value)
				continue
			}
			seen[d.Name()] = true
			r.units = append(r.units, newUnit(d))
		}
		r.stack = newUnit(doc)
	}
	return r.errs.Err()
}

func namesOf(docs []*recipe.Document) []string {
	names := make([]string, len(docs))
	for i, d := range docs {
		names[i] = d.Name()
	}
	return names
}

// planRoot is the folder positions are made relative to: the project root
// of a loaded tree, else the closest folder holding every recipe involved.
func planRoot(set *recipe.Set, units []*unit) string {
	if set.Root != "" {
		return set.Root
	}
	root := ""
	for _, u := range units {
		if u.doc.Embedded != nil {
			continue
		}
		dir := u.doc.Dir()
		if root == "" {
			root = dir
			continue
		}
		for !within(root, dir) {
			parent := filepath.Dir(root)
			if parent == root {
				break
			}
			root = parent
		}
	}
	return root
}

// within reports whether path is dir or lies below it, lexically.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// rel makes a position's file relative to the plan root, with forward
// slashes, so that plans and Dockerfiles do not carry the checkout location.
// A file of the catalog keeps its name (catalog:recipes/x/x.yaml): it is
// nowhere on disk.
func (r *resolver) rel(p recipe.Pos) recipe.Pos {
	if p.File == "" || r.embedded[p.File] {
		return p
	}
	abs, err := filepath.Abs(p.File)
	if err == nil && within(r.root, abs) {
		rel, _ := filepath.Rel(r.root, abs)
		p.File = filepath.ToSlash(rel)
		return p
	}
	p.File = filepath.ToSlash(filepath.Base(p.File))
	return p
}
