package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type initOptions struct {
	*globalOptions
	base, from string
}

func newInitCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &initOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "init NAME",
		Short: "Start a recipe for your own project: a layer, its stacks, docs and the schema",
		Long: `Init writes the starting files of a recipe for a project you port to MACA, in your
own repository (--root, else the recipe tree around the working directory, else the
working directory):

  recipes/NAME/NAME.yaml   a Layer NAME: the about: block the contest issue needs
                           (赛题名称, 背景介绍, 预期结果, 技术路线建议, 参考链接,
                           推荐执行者), requires, a source: on each step, smoke
                           tests, one that needs a device; a Stack NAME-BASE on a
                           MACA base of the catalog; and a Stack NAME-maca-sim on
                           the simulated base, which builds and tests offline
  docs/NAME.md, docs/NAME.zh-CN.md   documentation to fill in
  recipes/recipe.schema.json         the JSON Schema the first line of the
                                     recipe points editors at (kept when present)

The base is --base, else the newest MACA base of the catalog the layer fits. With
--from LAYER the layer is a copy of that catalog layer (and of the files its copy
steps take), renamed NAME, on the base the catalog's stacks put LAYER on; with NAME
the same as LAYER, the copy replaces the catalog's layer in your tree. A copied
layer gets no stack on the simulated base: its steps need what its upstream needs.

The files are validated before they are written, and init never overwrites: a
name that is not a valid recipe name, a base or layer that does not exist, a name
already used in the tree or the catalog, or an existing recipes/NAME or docs/NAME
file is an error, and nothing is written.`,
		Example: `  # in your repository: a recipe for your project on the newest MACA base
  macabox init myproject
  macabox build myproject-maca-sim --test     # try it offline on the simulated base

  # on a base of your choice
  macabox init myproject --base maca-3.1

  # start from the catalog's MinerU layer
  macabox init mineru-fork --from mineru`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(o, args[0], s)
		},
	}
	cmd.Flags().StringVar(&o.base, "base", "", "image of the project's stack (default: the newest MACA base of the catalog that fits)")
	cmd.Flags().StringVar(&o.from, "from", "", "start from a copy of this catalog layer")
	return cmd
}

func runInit(o *initOptions, name string, s Streams) error {
	res, err := pipeline.Init(pipeline.InitOptions{Root: o.root, Name: name, Base: o.base, From: o.from})
	if err != nil {
		return outcome(err)
	}
	for _, f := range res.Written {
		fmt.Fprintln(s.Out, pipeline.RelPath(filepath.Join(res.Root, f)))
	}
	for _, f := range res.Kept {
		fmt.Fprintf(s.Err, "kept %s as it is\n", pipeline.RelPath(filepath.Join(res.Root, f)))
	}
	fmt.Fprintf(s.Err, "wrote %d files: layer %s, stack %s on %s", len(res.Written), res.Layer, res.Stacks[0], res.Base)
	if len(res.Stacks) > 1 {
		fmt.Fprintf(s.Err, ", stack %s on the simulated base", res.Stacks[1])
	}
	fmt.Fprintln(s.Err, "; they validate")
	fmt.Fprintf(s.Err, "next: fill in the TODOs, then\n  macabox validate\n")
	if len(res.Stacks) > 1 {
		fmt.Fprintf(s.Err, "  macabox build %s --test    # offline, on the simulated base\n", res.Stacks[1])
	}
	fmt.Fprintf(s.Err, "  macabox build %s --test    # on a MetaX host\n", res.Stacks[0])
	return nil
}
