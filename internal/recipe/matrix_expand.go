package recipe

import (
	"slices"
	"strings"
)

// combo is one combination of values: one per axis, base first.
type combo []Str

// expand makes the cells of a matrix and reports what keeps them from
// being made: empty or repeated axes and values, exclude and include
// entries that name no axis or value, too many cells, names that collide.
// It knows nothing of the other documents; Validate checks the bases,
// layers and args the cells name.
func expand(d *Document) ([]*Document, Errors) {
	m := d.Matrix
	if m.Header.Name.Value == "" {
		// The missing name is the header's problem, reported there; cells
		// named after nothing would only repeat it, without a position.
		return nil, nil
	}
	var errs errorList
	axes, total := axesOf(d, &errs)
	excluded := checkExclude(m, axes, &errs)
	included, at := checkInclude(m, axes, &errs)
	if len(errs.errs) > 0 || total == 0 {
		return nil, errs.errs
	}
	combos, from := combinations(m, axes, total, excluded, included, at, &errs)
	if len(errs.errs) > 0 {
		return nil, errs.errs
	}
	cells := make([]*Document, 0, len(combos))
	named := map[string]int{}
	for i, c := range combos {
		name, err := CellName(m.Header.Name.Value, values(c))
		if err != nil {
			errs.add(from[i], "name", "cell %s: %s", describeCombo(axes, c), err)
			continue
		}
		if j, dup := named[name]; dup {
			errs.add(from[i], "name", "cells %s and %s would both be named %s; change a value so that the names differ", describeCombo(axes, combos[j]), describeCombo(axes, c), quote(name))
			continue
		}
		named[name] = i
		cells = append(cells, cellDocument(d, axes, c, name))
	}
	return cells, errs.errs
}

// axesOf are the matrix's axes, base first, each checked, and the number
// of combinations they span (counted no further than MaxCombinations+1, so
// that no product can overflow).
func axesOf(d *Document, errs *errorList) (Axes, int) {
	m := d.Matrix
	axes := Axes{{Name: Str{Value: BaseAxis, Pos: d.Pos}, Values: m.Base}}
	for _, a := range m.Axes {
		if a.Name.Value == BaseAxis {
			errs.add(a.Name.Pos, "axes", "%q is the first axis, the images listed under base; name an arg here", BaseAxis)
			continue
		}
		axes = append(axes, a)
	}
	// An absent base is the decoder's to report; an empty list is this.
	if m.Base != nil && len(m.Base) == 0 {
		errs.add(d.Pos, BaseAxis, "needs at least one image")
	}
	total := 1
	for _, a := range axes {
		checkAxis(a, errs)
		if total <= MaxCombinations {
			if total *= len(a.Values); total > MaxCombinations {
				errs.add(a.Name.Pos, a.Name.Value, "the axes span more than %d combinations before exclude; a matrix may span at most %d, and hold at most %d cells", MaxCombinations, MaxCombinations, MaxCells)
			}
		}
	}
	return axes, total
}

// combinations are the matrix's combinations in order, the base varying
// slowest, less those excluded, then those included; with where each is
// written, for messages about its name.
func combinations(m *Matrix, axes Axes, total int, excluded func(combo) bool, included []combo, at []Pos, errs *errorList) ([]combo, []Pos) {
	var combos []combo
	var from []Pos
	for i := range total {
		c := make(combo, len(axes))
		for j, rest := len(axes)-1, i; j >= 0; j-- {
			c[j] = axes[j].Values[rest%len(axes[j].Values)]
			rest /= len(axes[j].Values)
		}
		if !excluded(c) {
			combos = append(combos, c)
			from = append(from, m.Header.Name.Pos)
		}
	}
	for i, c := range included {
		if slices.ContainsFunc(combos, func(o combo) bool { return slices.Equal(values(o), values(c)) }) {
			errs.add(at[i], "include", "cell %s is in the matrix already", describeCombo(axes, c))
			continue
		}
		combos = append(combos, c)
		from = append(from, at[i])
	}
	switch {
	case len(combos) == 0:
		errs.add(m.Header.Name.Pos, "exclude", "the matrix holds no cell: exclude drops every combination")
	case len(combos) > MaxCells:
		errs.add(m.Header.Name.Pos, "", "the matrix holds %d cells; at most %d are allowed (split it, or exclude combinations)", len(combos), MaxCells)
	}
	return combos, from
}

// cellDocument is the Stack a cell stands for. Its fields keep the
// positions of the matrix's, so that whatever a plan or a build of the
// cell finds points at the matrix file.
func cellDocument(d *Document, axes Axes, c combo, name string) *Document {
	m := d.Matrix
	h := m.Header
	h.Kind = Str{Value: string(KindStack), Pos: h.Kind.Pos}
	h.Name = Str{Value: name, Pos: h.Name.Pos}
	args := slices.Clone(m.Args)
	cell := &Cell{Matrix: m.Header.Name.Value}
	for i, a := range axes {
		cell.Values = append(cell.Values, AxisValue{Axis: a.Name.Value, Value: c[i].Value})
		if i > 0 {
			args = append(args, KV{Key: a.Name, Value: c[i]})
		}
	}
	return &Document{
		File: d.File, Embedded: d.Embedded, Pos: d.Pos, Cell: cell,
		Stack: &Stack{Header: h, Base: c[0], Layers: m.Layers, Args: args, Tags: m.Tags, Smoke: m.Smoke},
	}
}

// describeCombo names a combination in messages: {base: a, V: 1}.
func describeCombo(axes Axes, c combo) string {
	parts := make([]string, len(axes))
	for i, a := range axes {
		parts[i] = a.Name.Value + ": " + quote(c[i].Value)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
