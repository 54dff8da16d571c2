package recipe

import (
	"fmt"
	"slices"
	"strings"
)

// matrix checks a Matrix: its shape (see expand), that its bases are
// Images and its axes args its layers declare, that no cell takes the name
// of another document, and then every cell as the Stack it is. A problem
// only some cells have names them; one every cell has is reported once.
func (v *validator) matrix(d *Document, m *Matrix) {
	cells, errs := expand(d)
	v.errs.errs = append(v.errs.errs, errs...)
	bases := v.matrixBases(m)
	v.matrixAxes(m)
	for _, c := range cells {
		if other, taken := v.byName[c.Name()]; taken {
			v.errs.add(m.Header.Name.Pos, "name", "cell %s has the name of %s at %s; rename the matrix or that document", quote(c.Name()), aKind(other.Kind()), other.Header().Name.Pos)
		}
	}
	found := map[Error][]string{}
	var order []Error
	checked := 0
	saved := v.errs
	for _, c := range cells {
		if !bases[c.Cell.Base()] {
			continue // its base is reported above, and nothing else can be checked
		}
		checked++
		v.errs = errorList{}
		v.stack(c, c.Stack)
		for _, e := range v.errs.errs {
			if _, seen := found[*e]; !seen {
				order = append(order, *e)
			}
			found[*e] = append(found[*e], c.Name())
		}
		v.cells = append(v.cells, c)
	}
	v.errs = saved
	for _, e := range order {
		if names := found[e]; len(names) < checked {
			e.Msg += fmt.Sprintf(" (in cell%s %s)", pluralS(len(names)), strings.Join(names, ", "))
		}
		v.errs.errs = append(v.errs.errs, &e)
	}
}

// matrixBases checks that every image the matrix names, in base and in
// include entries, is an Image, and returns those that are.
func (v *validator) matrixBases(m *Matrix) map[string]bool {
	ok := map[string]bool{}
	refs := slices.Clone(m.Base)
	for _, entry := range m.Include {
		if kv, has := entry.Get(BaseAxis); has {
			refs = append(refs, kv.Value)
		}
	}
	for _, ref := range refs {
		if ok[ref.Value] {
			continue
		}
		if v.resolve(ref, BaseAxis, KindImage) == nil {
			continue
		}
		if _, loops := v.baseChain(v.byName[ref.Value]); loops {
			v.errs.add(ref.Pos, BaseAxis, "the base chain of %s loops", quote(ref.Value))
			continue
		}
		ok[ref.Value] = true
	}
	return ok
}

// matrixAxes checks that each axis is an arg some layer of the matrix
// declares (a value for an arg nobody reads would make cells that differ
// in name only) and is not also set in args.
func (v *validator) matrixAxes(m *Matrix) {
	var declared []string
	for _, ref := range m.Layers {
		l, ok := v.byName[ref.Value]
		if !ok || l.Layer == nil {
			return // reported with the layers; nothing to check the axes against
		}
		for _, kv := range l.Layer.Args {
			declared = append(declared, kv.Key.Value)
		}
	}
	for _, a := range m.Axes {
		if a.Name.Value == BaseAxis {
			continue // reported by expand
		}
		if kv, fixed := m.Args.Get(a.Name.Value); fixed {
			v.errs.add(a.Name.Pos, a.Name.Value, "is set in args on line %d too; an arg is either fixed or an axis", kv.Key.Pos.Line)
		}
		if !slices.Contains(declared, a.Name.Value) {
			v.errs.add(a.Name.Pos, "axes", "%s is not an arg of the matrix's layers, so its values would change nothing%s", quote(a.Name.Value), didYouMean(a.Name.Value, declared))
		}
	}
}

// matrixNames are the names a Matrix's unverified entries may name: its
// args and its axes.
func matrixNames(m *Matrix) Map {
	args := slices.Clone(m.Args)
	for _, a := range m.Axes {
		args = append(args, KV{Key: a.Name})
	}
	return args
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
