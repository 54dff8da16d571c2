package pipeline

import (
	"errors"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// ListEntry is one document as `macabox list` shows it; the JSON field
// names are a stable interface.
type ListEntry struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Origin is "catalog@VERSION" for a document of the catalog built into
	// macabox, "local" for one of the user's tree.
	Origin string `json:"origin"`
	// File is the document's file: relative to the working directory, or
	// catalog:PATH for the catalog's.
	File string `json:"file"`
	Line int    `json:"line"`
	// Overrides is the catalog document a local one replaces.
	Overrides   string   `json:"overrides,omitempty"`
	Description string   `json:"description,omitempty"`
	From        string   `json:"from,omitempty"`
	Base        string   `json:"base,omitempty"`
	Layers      []string `json:"layers,omitempty"`
	MACA        string   `json:"maca,omitempty"`
	Simulated   bool     `json:"simulated,omitempty"`
	// Bases and Cells are a matrix's images and cells; Matrix and Values
	// say which matrix a cell (a Stack) belongs to and its values.
	Bases  []string           `json:"bases,omitempty"`
	Cells  []string           `json:"cells,omitempty"`
	Matrix string             `json:"matrix,omitempty"`
	Values []recipe.AxisValue `json:"values,omitempty"`
	// Lock is the target's lock file and whether it is current.
	Lock *LockStatus `json:"lock,omitempty"`
}

// ListOptions are `macabox list`.
type ListOptions struct {
	// Root is --root.
	Root string
	// Version is macabox's, the catalog's version.
	Version string
}

// List describes every document of the recipe tree and the catalog: images,
// layers, stacks, then matrices each followed by its cells, each kind
// sorted by name. Documents that could not be
// read are left out and their problems come back as recipe.Errors beside
// the entries.
func List(o ListOptions) ([]ListEntry, error) {
	root, err := FindRoot(o.Root)
	if err != nil {
		return nil, err
	}
	set, err := LoadSet(root)
	var errs recipe.Errors
	if err != nil && !errors.As(err, &errs) {
		return nil, err
	}
	overrides, err := CatalogOverrides(set)
	if err != nil {
		return nil, err
	}
	return listEntries(set, overrides, "catalog@"+o.Version), errs.Err()
}

func listEntries(set *recipe.Set, overrides []Override, catalogOrigin string) []ListEntry {
	entries := []ListEntry{}
	if set == nil {
		return entries
	}
	replaced := map[*recipe.Document]*recipe.Document{}
	for _, o := range overrides {
		replaced[o.Local] = o.Catalog
	}
	entryOf := func(d *recipe.Document) ListEntry {
		h := d.Header()
		e := ListEntry{
			Name: h.Name.Value, Kind: h.Kind.Value, Origin: "local",
			File: RelPath(d.File), Line: d.Pos.Line, Description: h.Description.Value,
		}
		if d.Embedded != nil {
			e.Origin = catalogOrigin
		}
		if c, ok := replaced[d]; ok {
			e.Overrides = c.File
		}
		return e
	}
	for _, d := range set.Images() {
		e := entryOf(d)
		e.From = d.Image.From.Value
		e.Simulated = d.Image.Simulated.Value
		if d.Image.MACA != nil {
			e.MACA = d.Image.MACA.Version.Value
		}
		e.Lock = LockStatusOf(set, e.Name)
		entries = append(entries, e)
	}
	for _, d := range set.Layers() {
		entries = append(entries, entryOf(d))
	}
	for _, d := range set.Stacks() {
		e := entryOf(d)
		e.Base = d.Stack.Base.Value
		for _, l := range d.Stack.Layers {
			e.Layers = append(e.Layers, l.Value)
		}
		e.Lock = LockStatusOf(set, e.Name)
		entries = append(entries, e)
	}
	return append(entries, matrixEntries(set, entryOf)...)
}
