package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode/utf16"

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
	// Bases and Cells are a matrix's images and cells; Matrix and Values
	// say which matrix a cell (a Stack) belongs to and its values.
	Bases  []string           `json:"bases,omitempty"`
	Cells  []string           `json:"cells,omitempty"`
	Matrix string             `json:"matrix,omitempty"`
	Values []recipe.AxisValue `json:"values,omitempty"`
	// Lock is the target's lock file and whether it is current.
	Lock *pipeline.LockStatus `json:"lock,omitempty"`
}

func newListCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &listOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the images, layers, stacks and matrices of the recipe tree",
		Long: `List shows every Image, Layer, Stack and Matrix found under images/ and recipes/,
with the file it comes from, and for images and stacks whether they have a lock file
(see "macabox lock") and whether it is current. Below each Matrix come its cells,
the stacks it makes (kind "cell"; in --json, Stacks with the matrix's name and their
values). Recipes that fail to load are reported on stderr and skipped.`,
		Example: `  macabox list
  macabox list --json | jq -r '.[] | select(.kind=="Stack") | .name'
  macabox list --json | jq -r '.[] | select(.matrix=="mineru-lines") | .name'`,
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
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(entries); err != nil {
			return err
		}
		_, err := s.Out.Write(escapeJSON(b.Bytes()))
		return err
	}
	// Recipes are listed before they are validated, so a value may hold
	// anything YAML can say; each cell is escaped unless it prints as itself.
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tBASE\tLOCK\tFILE")
	for _, e := range entries {
		name, kind, base := recipe.Escape(e.Name), recipe.Escape(e.Kind), recipe.Escape(e.Base)
		switch {
		case e.Kind == string(recipe.KindImage):
			base = recipe.Escape(e.From)
		case e.Kind == string(recipe.KindMatrix):
			base = recipe.Escape(strings.Join(e.Bases, ", "))
		case e.Matrix != "":
			name, kind = "  "+name, "cell"
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s:%d\n", name, kind, base, lock, recipe.Escape(e.File), e.Line)
	}
	return tw.Flush()
}

// escapeJSON writes every character of encoded JSON that does not print as
// itself as a \u escape. encoding/json escapes only some of them (not DEL,
// the C1 controls or bidi controls such as U+202E), and a terminal or a log
// would act on the rest. Outside strings JSON is ASCII, so this changes no
// value, only how it is spelt.
func escapeJSON(data []byte) []byte {
	s := string(data)
	if recipe.Printable(strings.ReplaceAll(s, "\n", "")) {
		return data
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || recipe.Printable(string(r)):
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return []byte(b.String())
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
	return append(entries, matrixEntries(set)...)
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
