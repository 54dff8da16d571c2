package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

type listOptions struct {
	*globalOptions
	json bool
}

func newListCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &listOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the images, layers, stacks and matrices of the recipe tree and the catalog",
		Long: `List shows every Image, Layer, Stack and Matrix found under images/ and recipes/
of the recipe tree and in the catalog built into macabox, with where each comes from
(catalog@VERSION, or the local file; a local document replaces the catalog's of the
same name), and for images and stacks whether they have a lock file (see
"macabox lock") and whether it is current. Below each Matrix come its cells, the
stacks it makes (kind "cell"; in --json, Stacks with the matrix's name and their
values), each with its own lock. Recipes that fail to load are reported on stderr
and skipped.`,
		Example: `  macabox list
  macabox list --json | jq -r '.[] | select(.kind=="Stack") | .name'

  # what this project defines or overrides
  macabox list --json | jq -r '.[] | select(.origin=="local") | .file'

  # the cells of a matrix
  macabox list --json | jq -r '.[] | select(.matrix=="mineru-lines") | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runList(o, s) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	return cmd
}

func runList(o *listOptions, s Streams) error {
	entries, err := pipeline.List(pipeline.ListOptions{Root: o.root, Version: readVersion().Version})
	var errs recipe.Errors
	if err != nil && !errors.As(err, &errs) {
		return outcome(err)
	}
	if len(errs) > 0 {
		printRecipeErrors(s.Err, errs)
	}
	if o.json {
		data, err := escape.MarshalJSON(entries)
		if err != nil {
			return err
		}
		_, err = s.Out.Write(data)
		return err
	}
	// Recipes are listed before they are validated, so a value may hold
	// anything YAML can say; each cell is escaped unless it prints as itself.
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tBASE\tLOCK\tORIGIN\tFILE")
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
		origin := e.Origin
		if e.Overrides != "" {
			origin += ", overrides catalog"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s:%d\n", name, kind, base, lock, origin, recipe.Escape(e.File), e.Line)
	}
	return tw.Flush()
}
