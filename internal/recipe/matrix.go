package recipe

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Matrix is a stack built over several bases and argument values at once.
// Each combination of one base and one value of every axis is a cell: a
// Stack of its own (see Cells), named after the matrix and its values, and
// planned, locked, built and tested like any stack. A matrix is a kind of
// its own, not a field of Stack, because it is not one image: everything
// that takes a Stack as one image (plan, run, a lock, --tag) keeps doing so,
// and only the cells ever reach it.
type Matrix struct {
	Header  `yaml:",inline"`
	Base    []Str  `yaml:"base" required:"true" vars:"none" doc:"names of Images, the first axis: every cell is built on one of them"`
	Layers  []Str  `yaml:"layers" vars:"none" doc:"names of Layers, applied in order in every cell"`
	Args    Map    `yaml:"args" doc:"overrides for arguments of the bases and layers, the same in every cell"`
	Axes    Axes   `yaml:"axes" vars:"none" doc:"the arguments that vary, in order: each an arg a layer declares, with the values it takes; with base, they span the cells"`
	Exclude []Map  `yaml:"exclude" vars:"none" doc:"combinations left out: an entry maps axes (base or a name of axes) to one of their values, and drops every cell that has all of them"`
	Include []Map  `yaml:"include" vars:"none" doc:"cells added after exclude: an entry gives base and a value for every axis"`
	Tags    []Str  `yaml:"tags" doc:"image references to tag each cell with; they must differ between cells, so refer to an axis (${NAME}) or ${MACA_VERSION}; default macabox.local/CELL:latest"`
	Smoke   []Test `yaml:"smoke" doc:"smoke tests of every cell, run last"`
}

// Axis is one argument a matrix varies, with its values in order.
type Axis struct {
	Name   Str
	Values []Str
}

// Axes are the arguments a matrix varies, in the order written: a mapping
// of names to lists of values.
type Axes []Axis

// BaseAxis is the name of a matrix's first axis in exclude and include
// entries, in cell values and in summaries.
const BaseAxis = "base"

// Limits on a matrix: every cell is a whole image build and test run.
const (
	// MaxCells is the most cells one matrix may hold.
	MaxCells = 64
	// MaxCombinations is the most combinations its axes may span before
	// exclude, so that expanding a matrix is cheap whatever it says.
	MaxCombinations = 1024
)

// Cell says which matrix made a Stack, and with which values.
type Cell struct {
	// Matrix is the name of the matrix.
	Matrix string `json:"matrix"`
	// Values are the cell's value of each axis: base first, then the axes
	// in the order written.
	Values []AxisValue `json:"values"`
}

// AxisValue is a cell's value of one axis.
type AxisValue struct {
	Axis  string `json:"axis"`
	Value string `json:"value"`
}

// Base is the image the cell is built on.
func (c *Cell) Base() string { return c.Values[0].Value }

// Matrices returns the Matrix documents, sorted by name.
func (s *Set) Matrices() []*Document { return s.ofKind(KindMatrix) }

// WithCells returns a copy of the set that also holds the cells of every
// matrix, as Stack documents, so that a cell is looked up, planned and
// locked by name like any stack. The set should have validated: cells of a
// matrix with problems are left out.
func (s *Set) WithCells() *Set {
	c := *s
	c.Docs = slices.Clone(s.Docs)
	for _, d := range s.Docs {
		if d.Matrix != nil {
			c.Docs = append(c.Docs, Cells(d)...)
		}
	}
	return &c
}

// Cells expands a Matrix document into its cells, in order: the
// combinations of base and the axes (the base varying slowest), less those
// excluded, then those included. It returns none when the matrix has a
// problem that Validate reports.
func Cells(d *Document) []*Document {
	cells, errs := expand(d)
	if len(errs) > 0 {
		return nil
	}
	return cells
}

// combo is one combination of values: one per axis, base first.
type combo []Str

// expand makes the cells of a matrix and reports what keeps them from
// being made: empty or repeated axes and values, exclude and include
// entries that name no axis or value, too many cells, names that collide.
// It knows nothing of the other documents; Validate checks the bases,
// layers and args the cells name.
func expand(d *Document) ([]*Document, Errors) {
	m := d.Matrix
	var errs errorList
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
		checkAxis(a, &errs)
		if total <= MaxCombinations {
			if total *= len(a.Values); total > MaxCombinations {
				errs.add(a.Name.Pos, a.Name.Value, "the axes span more than %d combinations before exclude; a matrix may span at most %d, and hold at most %d cells", MaxCombinations, MaxCombinations, MaxCells)
			}
		}
	}
	excluded := checkExclude(m, axes, &errs)
	included, at := checkInclude(m, axes, &errs)
	if len(errs.errs) > 0 || total == 0 {
		return nil, errs.errs
	}
	var combos []combo
	var from []Pos // where each combination is written, for name collisions
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
	case len(errs.errs) > 0:
		return nil, errs.errs
	case len(combos) == 0:
		errs.add(m.Header.Name.Pos, "exclude", "the matrix holds no cell: exclude drops every combination")
		return nil, errs.errs
	case len(combos) > MaxCells:
		errs.add(m.Header.Name.Pos, "", "the matrix holds %d cells; at most %d are allowed (split it, or exclude combinations)", len(combos), MaxCells)
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

// checkAxis checks an axis's values: some, each once, each with something
// to name a cell with.
func checkAxis(a Axis, errs *errorList) {
	if len(a.Values) == 0 && a.Name.Value != BaseAxis { // an empty base is reported as such
		errs.add(a.Name.Pos, a.Name.Value, "an axis needs at least one value")
	}
	seen := map[string]Str{}
	for _, val := range a.Values {
		if first, dup := seen[val.Value]; dup {
			errs.add(val.Pos, a.Name.Value, "value %s is listed twice (first on line %d)", quote(val.Value), first.Pos.Line)
			continue
		}
		seen[val.Value] = val
		checkNamePart(val, a.Name.Value, errs)
	}
}

// checkNamePart reports a value that gives a cell's name nothing.
func checkNamePart(val Str, axis string, errs *errorList) {
	if namePart(val.Value) == "" {
		errs.add(val.Pos, axis, "value %s has no letter or digit to name its cells with", quote(val.Value))
	}
}

// checkExclude checks every exclude entry against the axes and returns the
// test that drops a combination.
func checkExclude(m *Matrix, axes Axes, errs *errorList) func(combo) bool {
	type rule map[int]string // axis index → value
	var rules []rule
	for i, entry := range m.Exclude {
		if len(entry) == 0 {
			errs.add(m.Header.Name.Pos, "exclude", "entry %d is empty, which would drop every cell", i+1)
			continue
		}
		r := rule{}
		for _, kv := range entry {
			ai, ok := axisIndex(axes, kv.Key, errs, "exclude")
			if !ok {
				continue
			}
			if !slices.ContainsFunc(axes[ai].Values, func(v Str) bool { return v.Value == kv.Value.Value }) {
				errs.add(kv.Value.Pos, kv.Key.Value, "%s is not a value of axis %s, so this entry would exclude nothing%s", quote(kv.Value.Value), quote(kv.Key.Value), didYouMean(kv.Value.Value, values(axes[ai].Values)))
				continue
			}
			r[ai] = kv.Value.Value
		}
		rules = append(rules, r)
	}
	return func(c combo) bool {
		for _, r := range rules {
			all := true
			for ai, val := range r {
				all = all && c[ai].Value == val
			}
			if all {
				return true
			}
		}
		return false
	}
}

// checkInclude checks the include entries, each of which must give a value
// for every axis, and returns them with where each is written.
func checkInclude(m *Matrix, axes Axes, errs *errorList) ([]combo, []Pos) {
	var combos []combo
	var at []Pos
	for i, entry := range m.Include {
		if len(entry) == 0 {
			errs.add(m.Header.Name.Pos, "include", "entry %d is empty; give base and a value for every axis", i+1)
			continue
		}
		c := make(combo, len(axes))
		ok := true
		for _, kv := range entry {
			ai, known := axisIndex(axes, kv.Key, errs, "include")
			if !known {
				ok = false
				continue
			}
			c[ai] = kv.Value
			checkNamePart(kv.Value, kv.Key.Value, errs)
		}
		var missing []string
		for ai, a := range axes {
			if c[ai].Pos.IsZero() {
				missing = append(missing, a.Name.Value)
			}
		}
		if len(missing) > 0 {
			errs.add(entry[0].Key.Pos, "include", "the entry gives no value for %s; an included cell names a value of every axis", joinOr(missing))
			ok = false
		}
		if ok {
			combos = append(combos, c)
			at = append(at, entry[0].Key.Pos)
		}
	}
	return combos, at
}

func axisIndex(axes Axes, key Str, errs *errorList, field string) (int, bool) {
	for i, a := range axes {
		if a.Name.Value == key.Value {
			return i, true
		}
	}
	names := make([]string, len(axes))
	for i, a := range axes {
		names[i] = a.Name.Value
	}
	errs.add(key.Pos, field, "%s is not an axis of this matrix; it has %s%s", quote(key.Value), joinOr(names), didYouMean(key.Value, names))
	return 0, false
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

// CellName is the name of a matrix's cell: the matrix's name, then each
// value (the base first, then the axes in the order written), joined by
// "-". A value is lower-cased and every run of characters a name cannot
// hold becomes one "-" (2.6.0+metax3.0 gives 2.6.0-metax3.0), so the name
// depends on the values alone: adding, removing or excluding other cells
// never renames one, and it is valid as a recipe name and in an image
// reference.
func CellName(matrix string, values []string) (string, error) {
	parts := []string{matrix}
	for _, v := range values {
		p := namePart(v)
		if p == "" {
			return "", fmt.Errorf("value %s has no letter or digit to name the cell with", quote(v))
		}
		parts = append(parts, p)
	}
	name := strings.Join(parts, "-")
	if err := checkName(name); err != nil {
		return "", err
	}
	return name, nil
}

var (
	notNameRune = regexp.MustCompile(`[^a-z0-9.]+`)
	// separatorRun is what an image reference's path component cannot hold:
	// "-" next to "." ("a.-b"), or dots in a row.
	separatorRun = regexp.MustCompile(`[.-]*-[.-]*|\.{2,}`)
)

func namePart(v string) string {
	p := notNameRune.ReplaceAllString(strings.ToLower(v), "-")
	p = separatorRun.ReplaceAllStringFunc(p, func(run string) string {
		if strings.Contains(run, "-") {
			return "-"
		}
		return "."
	})
	return strings.Trim(p, "-.")
}

func values(list []Str) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Value
	}
	return out
}

// describeCombo names a combination in messages: {base: a, V: 1}.
func describeCombo(axes Axes, c combo) string {
	parts := make([]string, len(axes))
	for i, a := range axes {
		parts[i] = a.Name.Value + ": " + quote(c[i].Value)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
