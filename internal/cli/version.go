package cli

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

// Version is set at link time (-ldflags "-X .../internal/cli.Version=v1.2.3");
// otherwise it comes from the module's build information.
var Version = ""

type versionInfo struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	BuildKit string `json:"buildkitClient"`
	Revision string `json:"revision,omitempty"`
	// Catalog is the digest of the catalog built in (see macabox catalog).
	Catalog string `json:"catalog"`
}

func newVersionCommand(s Streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the macabox version, the BuildKit client it was built with and its catalog's digest",
		Example: "  macabox version\n  macabox version --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := readVersion()
			var err error
			if v.Catalog, err = pipeline.CatalogDigest(); err != nil {
				return outcome(err)
			}
			if asJSON {
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			fmt.Fprintf(s.Out, "macabox %s (%s, BuildKit client %s, catalog %s)\n", v.Version, v.Go, v.BuildKit, v.Catalog)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func readVersion() versionInfo {
	v := versionInfo{Version: Version, BuildKit: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Go = bi.GoVersion
	if v.Version == "" {
		v.Version = bi.Main.Version
	}
	if v.Version == "" || v.Version == "(devel)" {
		v.Version = "dev"
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/moby/buildkit" {
			v.BuildKit = d.Version
		}
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v.Revision = s.Value
		}
	}
	return v
}
