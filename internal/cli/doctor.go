package cli

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type doctorOptions struct {
	builderFlags
	json             bool
	devRoot, sysRoot string
	diskPath         string
}

func newDoctorCommand(s Streams) *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this host can build and test MACA images",
		Long: `Doctor checks, and says how to fix: the Docker engine and its version; the BuildKit
builder, its version and whether it can build reproducibly; the MACA device nodes and
the DRI nodes of each GPU (with their PCI addresses); the group ids that own them;
mx-smi, and the kernel driver and MACA versions from its header; the memlock hard
limit; the cgroup version; free disk space.

Each check is ok, warn or fail. The exit status is 1 when a check failed.`,
		Example: `  macabox doctor
  macabox doctor --json | jq '.facts'
  macabox doctor --builder unix:///run/buildkit/buildkitd.sock`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDoctor(cmd.Context(), o, s) },
	}
	f := cmd.Flags()
	o.builderFlags.bind(f)
	f.BoolVar(&o.json, "json", false, "print the checks and host facts as JSON")
	f.StringVar(&o.devRoot, "dev-root", "/dev", "where to find device nodes")
	f.StringVar(&o.sysRoot, "sys-root", "/sys", "where to find sysfs")
	f.StringVar(&o.diskPath, "disk", "", "where images are stored, for the free-space check (default Docker's /var/lib/docker)")
	return cmd
}

func runDoctor(ctx context.Context, o *doctorOptions, s Streams) error {
	r := pipeline.Doctor(ctx, pipeline.DoctorOptions{
		Builder: o.builderFlags.options(), Roots: device.Roots{Dev: o.devRoot, Sys: o.sysRoot}, DiskPath: o.diskPath,
	})
	var err error
	if o.json {
		err = r.WriteJSON(s.Out)
	} else {
		err = r.WriteText(s.Out, colorFor(s.Out, os.Getenv))
	}
	if err != nil {
		return err
	}
	if !r.OK() {
		return problems(errors.New("some checks failed"))
	}
	return nil
}
