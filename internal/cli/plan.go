package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type planOptions struct {
	*globalOptions
	format         string
	set            []string
	locked, frozen bool
}

func newPlanCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &planOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "plan TARGET",
		Short: "Show the resolved plan of a target, or the exact Dockerfile it builds",
		Long: `Plan resolves a Stack or Image (its base chain, layers, arguments, environment and
smoke tests) and prints either the exact Dockerfile that "macabox build" sends to
BuildKit, or the plan as JSON. Rendering is deterministic: the same recipes and
arguments always give the same bytes.

TARGET is a recipe name from the tree (see "macabox list") or a recipe file; a cell
of a Matrix is a Stack and is planned by its name (a matrix itself is not one image
and has no plan). With
--locked the plan is pinned to the target's lock file (see "macabox lock"): the JSON
says which steps are locked and which inputs no lock can pin.`,
		Example: `  macabox plan demo
  macabox plan mineru-maca3 --format json | jq '.steps[].source'
  macabox plan recipes/mineru/stack.yaml --set MINERU_VERSION=2.5.4`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(o, args[0], s)
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "dockerfile", "output: dockerfile or json")
	cmd.Flags().StringArrayVar(&o.set, "set", nil, "override a build argument, NAME=VALUE (repeatable)")
	cmd.Flags().BoolVar(&o.locked, "locked", false, "plan with the target's lock: the pinned Dockerfile a locked build sends")
	cmd.Flags().BoolVar(&o.frozen, "frozen", false, "like --locked, and fail when the recipes changed since the lock was made")
	return cmd
}

func runPlan(o *planOptions, target string, s Streams) error {
	if o.format != "dockerfile" && o.format != "json" {
		return cannot("--format %q: want dockerfile or json", o.format)
	}
	args, err := parseSets(o.set)
	if err != nil {
		return err
	}
	pr, err := pipeline.PlanTarget(o.root, target, pipeline.RequestOptions{Args: args, Locked: o.locked, Frozen: o.frozen})
	if err != nil {
		return outcome(err)
	}
	for _, w := range pr.Plan.Warnings {
		fmt.Fprintf(s.Err, "warning: %s\n", w)
	}
	for _, a := range pr.Plan.Assumptions {
		fmt.Fprintf(s.Err, "warning: %s\n", a)
	}
	if o.format == "json" {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(pr.Plan)
	}
	_, err = s.Out.Write(pr.Rendered.Dockerfile)
	return err
}

// completeTargets offers the names of the recipe tree to shell completion.
func completeTargets(g *globalOptions) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		entries, _ := pipeline.List(pipeline.ListOptions{Root: g.root})
		var names []string
		for _, e := range entries {
			if e.Kind != "Layer" && strings.HasPrefix(e.Name, prefix) {
				names = append(names, fmt.Sprintf("%s\t%s", e.Name, e.Kind))
			}
		}
		return names, cobra.ShellCompDirectiveDefault
	}
}
