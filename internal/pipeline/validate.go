package pipeline

import (
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Validate checks set as recipe.Validate does and keeps the problems the
// user can act on: every problem of their own tree, and the problems of
// catalog documents that their documents or the targets use (a stack's
// base and layers, an image's from, on down). A catalog document nothing
// of theirs uses may not fit a base they replaced; that is not theirs to
// fix unless they build it.
func Validate(set *recipe.Set, targets ...string) recipe.Errors {
	errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize})
	used := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		d, ok := set.Lookup(name)
		if !ok || used[d.File+"\x00"+name] {
			return
		}
		used[d.File+"\x00"+name] = true
		used[d.File] = true
		switch {
		case d.Stack != nil:
			walk(d.Stack.Base.Value)
			for _, l := range d.Stack.Layers {
				walk(l.Value)
			}
		case d.Image != nil:
			walk(d.Image.From.Value)
		}
	}
	for _, d := range set.Docs {
		if d.Embedded == nil {
			walk(d.Name())
		}
	}
	for _, t := range targets {
		walk(t)
	}
	embedded := map[string]bool{}
	for _, d := range set.Docs {
		if d.Embedded != nil {
			embedded[d.File] = true
		}
	}
	var keep recipe.Errors
	for _, e := range errs {
		if !embedded[e.Pos.File] || used[e.Pos.File] {
			keep = append(keep, e)
		}
	}
	return keep
}
