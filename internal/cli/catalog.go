package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

func newCatalogCommand(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "The base images and layers built into macabox",
		Long: `Every macabox binary carries a catalog: the base images of images/ and the layers and
stacks of recipes/ of the macabox release it was built from, with the files their
copy steps take and their lock files. A recipe names them from any directory
(base: maca-3.0), and "macabox list" shows them as catalog@VERSION.

A document of your own tree (images/ and recipes/ under --root, or the nearest
folder above the working directory that has them) with the name of a catalog
document replaces it, when both are of one kind.`,
	}
	cmd.AddCommand(newCatalogExportCommand(s))
	return cmd
}

func newCatalogExportCommand(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "export DIR",
		Short: "Write the catalog's files into a folder, to read, copy or fork them",
		Long: `Export writes every file of the catalog below DIR, as images/... and recipes/...,
and prints their paths on stdout. It never replaces a file: when any of them exists
already it writes nothing and names them.

Documents written this way into your own tree replace the catalog's (see "macabox
catalog"): edit one there to change it for your project, and "macabox validate"
says which documents differ from the catalog's.`,
		Example: `  # read the recipes this macabox carries
  macabox catalog export /tmp/macabox-catalog

  # fork the MinerU layer into your project: export, then keep what you change
  macabox catalog export .`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCatalogExport(args[0], s)
		},
	}
}

func runCatalogExport(dir string, s Streams) error {
	files, err := pipeline.ExportCatalog(dir)
	for _, f := range files {
		fmt.Fprintln(s.Out, pipeline.RelPath(f))
	}
	if err != nil {
		return outcome(err)
	}
	digest, err := pipeline.CatalogDigest()
	if err != nil {
		return outcome(err)
	}
	fmt.Fprintf(s.Err, "wrote %d file%s of catalog@%s (%s) into %s\n", len(files), plural(len(files)), readVersion().Version, digest, dir)
	return nil
}
