package recipe

import (
	"slices"
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
