package pipeline

import (
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/catalog"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/scaffold"
)

// choice is what a new project is made from: the bases to try, newest
// first, the simulated base for a second stack, and the catalog layer to
// copy.
type choice struct {
	bases []scaffold.Base
	sim   *scaffold.Base
	from  *scaffold.From
}

func chooseScaffold(set *recipe.Set, o InitOptions) (*choice, error) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, cannot("reading the catalog built into macabox: %w", err)
	}
	ch := &choice{}
	if o.From != "" {
		d, ok := cat.Lookup(o.From)
		if !ok || d.Layer == nil {
			return nil, cannot("--from %s: the catalog has no layer of that name; its layers: %s", o.From, strings.Join(names(cat.Layers()), ", "))
		}
		if ch.from, err = fromLayer(d); err != nil {
			return nil, err
		}
	} else {
		// A copied layer needs what its upstream needs; only a new one is
		// sure to build offline on the simulated base.
		for _, d := range cat.Images() {
			if d.Image.Simulated.Value {
				b := baseOf(d)
				ch.sim = &b
				break
			}
		}
	}
	if o.Base != "" {
		d, ok := set.Lookup(o.Base)
		if !ok || d.Image == nil {
			return nil, cannot("--base %s: no image of that name; images: %s", o.Base, strings.Join(names(set.Images()), ", "))
		}
		ch.bases = []scaffold.Base{baseOf(d)}
		return ch, nil
	}
	ch.bases = macaBases(cat)
	if ch.from != nil {
		ch.bases = append(basesOfStacksWith(cat, o.From), ch.bases...)
	}
	if len(ch.bases) == 0 {
		return nil, cannot("the catalog has no MACA base image: name one with --base")
	}
	return ch, nil
}

// macaBases are the catalog's images of real MACA, the newest MACA first.
func macaBases(cat *recipe.Set) []scaffold.Base {
	var out []scaffold.Base
	for _, d := range cat.Images() {
		if b := baseOf(d); !b.Simulated && b.MACA != "" {
			if _, err := recipe.ParseVersion(b.MACA); err == nil {
				out = append(out, b)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b scaffold.Base) int {
		va, _ := recipe.ParseVersion(a.MACA)
		vb, _ := recipe.ParseVersion(b.MACA)
		return vb.Compare(va)
	})
	return out
}

// basesOfStacksWith are the bases the catalog's stacks put layer on, the
// newest MACA first: the line a copied layer was written for.
func basesOfStacksWith(cat *recipe.Set, layer string) []scaffold.Base {
	var out []scaffold.Base
	for _, b := range macaBases(cat) {
		for _, st := range cat.Stacks() {
			uses := slices.ContainsFunc(st.Stack.Layers, func(l recipe.Str) bool { return l.Value == layer })
			if uses && st.Stack.Base.Value == b.Name && !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	return out
}

func baseOf(d *recipe.Document) scaffold.Base {
	b := scaffold.Base{Name: d.Name(), Simulated: d.Image.Simulated.Value}
	if d.Image.MACA != nil {
		b.MACA = d.Image.MACA.Version.Value
	}
	return b
}

func names(docs []*recipe.Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.Name()
	}
	return out
}
