package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

type listOptions struct {
	*globalOptions
	json bool
}

// listEntry is one row of `macabox list --json`; the field names are a stable interface.
type listEntry struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	File        string   `json:"file"`
	Line        int      `json:"line"`
	Description string   `json:"description,omitempty"`
	From        string   `json:"from,omitempty"`
	Base        string   `json:"base,omitempty"`
	Layers      []string `json:"layers,omitempty"`
	MACA        string   `json:"maca,omitempty"`
	Simulated   bool     `json:"simulated,omitempty"`
	// Lock is the target's lock file and whether it is current.
	Lock *pipeline.LockStatus `json:"lock,omitempty"`
}

func newListCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &listOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the images, layers and stacks of the recipe tree",
		Long: `List shows every Image, Layer and Stack found under images/ and recipes/, with the
file it comes from, and for images and stacks whether they have a lock file (see
"macabox lock") and whether it is current. Recipes that fail to load are reported on
stderr and skipped.`,
		Example: `  macabox list
  macabox list --json | jq -r '.[] | select(.kind=="Stack") | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runList(o, s) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	return cmd
}

func runList(o *listOptions, s Streams) error {
	root, err := pipeline.FindRoot(o.root)
	if err != nil {
		return outcome(err)
	}
	set, err := pipeline.LoadSet(root)
	var errs recipe.Errors
	if err != nil && !errors.As(err, &errs) {
		return outcome(err)
	}
	if len(errs) > 0 {
		printRecipeErrors(s.Err, errs)
	}
	entries := listEntries(set)
	if o.json {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tBASE\tLOCK\tFILE")
	for _, e := range entries {
		base := e.Base
		if e.Kind == string(recipe.KindImage) {
			base = e.From
		}
		if e.Simulated {
			base += " (simulated)"
		}
		lock := "-"
		switch {
		case e.Lock != nil && e.Lock.Current:
			lock = "current"
		case e.Lock != nil:
			lock = "stale"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s:%d\n", e.Name, e.Kind, base, lock, e.File, e.Line)
	}
	return tw.Flush()
}

func listEntries(set *recipe.Set) []listEntry {
	entries := []listEntry{}
	if set == nil {
		return entries
	}
	for _, d := range set.Images() {
		e := entryOf(d)
		e.From = d.Image.From.Value
		e.Simulated = d.Image.Simulated.Value
		if d.Image.MACA != nil {
			e.MACA = d.Image.MACA.Version.Value
		}
		e.Lock = pipeline.LockStatusOf(set, e.Name)
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
		e.Lock = pipeline.LockStatusOf(set, e.Name)
		entries = append(entries, e)
	}
	return entries
}

func entryOf(d *recipe.Document) listEntry {
	h := d.Header()
	return listEntry{
		Name:        h.Name.Value,
		Kind:        h.Kind.Value,
		File:        pipeline.RelPath(d.File),
		Line:        d.Pos.Line,
		Description: h.Description.Value,
	}
}
