package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/device"
)

type cdiOptions struct {
	devRoot, sysRoot string
	install          string
}

func newCDICommand(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "cdi",
		Short: "Container Device Interface specs for MetaX GPUs",
		Args:  cobra.NoArgs,
	}
	o := &cdiOptions{}
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write a CDI spec for this host's MetaX GPUs",
		Long: `Generate writes a CDI spec (kind metax-tech.com/gpu) describing this host's MetaX
GPUs: one device per GPU, named by its index and by its PCI address, plus "all".
The MACA control nodes (/dev/mxcd, and /dev/mxnd and /dev/mxgd when present) are
shared by every device; each device adds its DRI card and render nodes and the
nodes' group ids. Container engines with CDI support (containerd, CRI-O, Podman,
Docker 25+) then accept --device metax-tech.com/gpu=0.

The spec goes to stdout as JSON, or with --install into a CDI directory as YAML.`,
		Example: `  macabox cdi generate > /etc/cdi/metax-tech.com-gpu.json
  macabox cdi generate --install /etc/cdi
  docker run --device metax-tech.com/gpu=0 ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := device.Discover(device.Roots{Dev: o.devRoot, Sys: o.sysRoot})
			if err != nil {
				return cannot("discovering devices: %w", err)
			}
			spec, err := device.GenerateCDI(h)
			if errors.Is(err, device.ErrNoDevices) {
				return cannot("%w", err) // nothing to describe on this host
			}
			if err != nil {
				return problems(err)
			}
			for _, w := range h.Warnings {
				fmt.Fprintf(s.Err, "warning: %s\n", w)
			}
			if o.install == "" {
				return device.WriteCDI(s.Out, spec)
			}
			path, err := device.InstallCDI(o.install, spec)
			if err != nil {
				return cannot("%w", err)
			}
			fmt.Fprintln(s.Out, path)
			return nil
		},
	}
	gen.Flags().StringVar(&o.devRoot, "dev-root", "/dev", "where to find device nodes")
	gen.Flags().StringVar(&o.sysRoot, "sys-root", "/sys", "where to find sysfs")
	gen.Flags().StringVar(&o.install, "install", "", "write the spec as YAML into this CDI directory (e.g. /etc/cdi) and print its path")
	root.AddCommand(gen)
	return root
}
