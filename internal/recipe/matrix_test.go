package recipe

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

const matrixBase = `apiVersion: macabox/v1
kind: Image
name: sim-a
from: debian:bookworm
maca: {version: 3.0.0.5}
---
apiVersion: macabox/v1
kind: Image
name: sim-b
from: debian:bookworm
maca: {version: 3.1.0.7}
---
apiVersion: macabox/v1
kind: Layer
name: app
args: {FLAVOR: plain, PY: "3.10"}
steps: [{run: 'echo "$FLAVOR"'}]
`

// matrixSet loads the bases and layer above with one Matrix document.
func matrixSet(t *testing.T, matrix string) *Set {
	t.Helper()
	docs, err := Load("lines.yaml", []byte(matrixBase+"---\napiVersion: macabox/v1\nkind: Matrix\nname: lines\n"+matrix))
	if err != nil {
		t.Fatal(err)
	}
	s := &Set{Docs: docs}
	if errs := Validate(s, testRules); errs != nil {
		t.Fatalf("validating:\n%v", errs)
	}
	return s
}

func cellNames(cells []*Document) []string {
	var names []string
	for _, c := range cells {
		names = append(names, c.Name())
	}
	return names
}

func TestMatrixCells(t *testing.T) {
	s := matrixSet(t, `base: [sim-a, sim-b]
layers: [app]
args: {PY: "3.11"}
axes:
  FLAVOR: [plain, Extra+GPU]
exclude:
  - {base: sim-b, FLAVOR: plain}
include:
  - {base: sim-b, FLAVOR: nightly}
tags: ["app:${FLAVOR}-${MACA_VERSION}"]
`)
	m, _ := s.Lookup("lines")
	cells := Cells(m)
	want := []string{"lines-sim-a-plain", "lines-sim-a-extra-gpu", "lines-sim-b-extra-gpu", "lines-sim-b-nightly"}
	if got := cellNames(cells); !slices.Equal(got, want) {
		t.Fatalf("cells %v, want %v", got, want)
	}
	c := cells[2]
	if c.Stack == nil || c.Kind() != KindStack || c.Stack.Base.Value != "sim-b" || c.File != "lines.yaml" {
		t.Fatalf("cell is not a Stack on sim-b from the matrix file: %+v", c)
	}
	if c.Cell == nil || c.Cell.Matrix != "lines" || c.Cell.Base() != "sim-b" ||
		!slices.Equal(c.Cell.Values, []AxisValue{{"base", "sim-b"}, {"FLAVOR", "Extra+GPU"}}) {
		t.Errorf("cell info %+v", c.Cell)
	}
	// The fixed args come first, then the cell's values, each at the
	// position it is written: a plan of the cell points at the matrix.
	args := c.Stack.Args
	if len(args) != 2 || args[0].Key.Value != "PY" || args[1].Key.Value != "FLAVOR" || args[1].Value.Value != "Extra+GPU" || args[1].Value.Pos.Line == 0 {
		t.Errorf("cell args %+v", args)
	}
	if len(c.Stack.Tags) != 1 || c.Stack.Layers[0].Value != "app" {
		t.Errorf("cell tags %v, layers %v", c.Stack.Tags, c.Stack.Layers)
	}

	// With its cells, the set finds one by name; the matrix stays.
	all := s.WithCells()
	if _, ok := all.Lookup("lines-sim-b-nightly"); !ok {
		t.Error("WithCells: cell not found")
	}
	if len(s.Docs) != 4 || len(all.Docs) != 8 || len(all.Matrices()) != 1 || len(all.Stacks()) != 4 {
		t.Errorf("docs %d → %d, matrices %d, stacks %d", len(s.Docs), len(all.Docs), len(all.Matrices()), len(all.Stacks()))
	}
}

// A cell's name depends on its values alone: more values, or excluding
// others, never renames it.
func TestMatrixCellNamesAreStable(t *testing.T) {
	small := Cells(mustLookup(t, matrixSet(t, "base: [sim-a]\nlayers: [app]\naxes: {FLAVOR: [plain]}\n"), "lines"))
	big := Cells(mustLookup(t, matrixSet(t, "base: [sim-b, sim-a]\nlayers: [app]\naxes: {FLAVOR: [gpu, plain]}\nexclude: [{FLAVOR: gpu}]\n"), "lines"))
	if !slices.Contains(cellNames(big), small[0].Name()) {
		t.Errorf("%s is not among %v", small[0].Name(), cellNames(big))
	}
}

func mustLookup(t *testing.T, s *Set, name string) *Document {
	t.Helper()
	d, ok := s.Lookup(name)
	if !ok {
		t.Fatalf("no %s", name)
	}
	return d
}

func TestCellName(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   string
	}{
		{[]string{"maca-3.1", "2.6.0+metax3.1.0.4"}, "m-maca-3.1-2.6.0-metax3.1.0.4"},
		{[]string{"maca-3.0", "A.-B"}, "m-maca-3.0-a-b"},
		{[]string{"maca-3.0", "a..b", "__x__"}, "m-maca-3.0-a.b-x"},
		{[]string{"maca-3.0", "v0.10.1.1-dev"}, "m-maca-3.0-v0.10.1.1-dev"},
		{[]string{"maca-3.0", "https://mirror/simple"}, "m-maca-3.0-https-mirror-simple"},
	} {
		got, err := CellName("m", c.values)
		if err != nil || got != c.want {
			t.Errorf("CellName(m, %q) = %q, %v; want %q", c.values, got, err, c.want)
		}
		if err := checkName(got); err != nil {
			t.Errorf("%q: %v", got, err)
		}
	}
	if _, err := CellName("m", []string{"maca-3.0", "+++"}); err == nil {
		t.Error("a value without a letter or digit gave a name")
	}
	if _, err := CellName("m", []string{"maca-3.0", strings.Repeat("x", 100)}); err == nil || !strings.Contains(err.Error(), "longer") {
		t.Errorf("a name of over 100 characters: %v", err)
	}
}

// TestMatrixLimits holds a matrix to MaxCells cells and MaxCombinations
// combinations, and expands one at the limit quickly.
func TestMatrixLimits(t *testing.T) {
	axis := func(n int) string {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprintf("%q", fmt.Sprint(i))
		}
		return "[" + strings.Join(vals, ", ") + "]"
	}
	at := Cells(mustLookup(t, matrixSet(t, fmt.Sprintf("base: [sim-a, sim-b]\nlayers: [app]\naxes: {FLAVOR: %s}\n", axis(MaxCells/2))), "lines"))
	if len(at) != MaxCells {
		t.Errorf("%d cells, want %d", len(at), MaxCells)
	}
	excluded := fmt.Sprintf("base: [sim-a, sim-b]\nlayers: [app]\naxes: {FLAVOR: %s, PY: %s}\nexclude: [{base: sim-b}]\n", axis(32), axis(MaxCombinations/64))
	docs, err := Load("lines.yaml", []byte(matrixBase+"---\napiVersion: macabox/v1\nkind: Matrix\nname: lines\n"+excluded))
	if err != nil {
		t.Fatal(err)
	}
	errs := Validate(&Set{Docs: docs}, testRules)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "holds 512 cells; at most 64") {
		t.Errorf("512 cells after exclude: %v", errs)
	}
}
