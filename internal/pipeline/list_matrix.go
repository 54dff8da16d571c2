package pipeline

import "github.com/ccf-ai-infra/macabox/internal/recipe"

// matrixEntries are the rows of the matrices, each followed by its cells,
// which are stacks of their own (each with its lock) that no file holds.
func matrixEntries(set *recipe.Set, entryOf func(*recipe.Document) ListEntry) []ListEntry {
	var entries []ListEntry
	withCells := set.WithCells()
	for _, d := range set.Matrices() {
		e := entryOf(d)
		for _, b := range d.Matrix.Base {
			e.Bases = append(e.Bases, b.Value)
		}
		for _, l := range d.Matrix.Layers {
			e.Layers = append(e.Layers, l.Value)
		}
		cells := recipe.Cells(d)
		for _, c := range cells {
			e.Cells = append(e.Cells, c.Name())
		}
		entries = append(entries, e)
		for _, c := range cells {
			ce := entryOf(c)
			ce.Base, ce.Layers, ce.Matrix, ce.Values = c.Cell.Base(), e.Layers, c.Cell.Matrix, c.Cell.Values
			ce.Lock = LockStatusOf(withCells, ce.Name)
			entries = append(entries, ce)
		}
	}
	return entries
}
