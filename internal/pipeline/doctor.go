package pipeline

import (
	"context"
	"errors"
	"os"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
)

// DoctorOptions are `macabox doctor`.
type DoctorOptions struct {
	Builder BuilderOptions
	Roots   device.Roots
	// DiskPath is where images are stored, for the free-space check.
	DiskPath string
}

// Doctor checks the host: Docker (the engine every other verb would use),
// the builder, devices, limits and disk.
func Doctor(ctx context.Context, o DoctorOptions) *hostcheck.Report {
	engine := newDockerEngine()
	defer engine.close()
	return hostcheck.Run(ctx, hostcheck.Options{
		Roots:    o.Roots,
		DiskPath: o.DiskPath,
		Probes: hostcheck.Probes{
			Docker: func(ctx context.Context) (string, error) {
				cli, err := engine.ready(ctx)
				if err != nil {
					return "", err
				}
				return cli.Version(ctx)
			},
			Builder: o.Builder.probe,
		},
	})
}

// probe reaches the builder for doctor; with no builder configured that is
// itself the finding.
func (o BuilderOptions) probe(ctx context.Context) (string, bool, error) {
	if o.Addr == "" && os.Getenv("BUILDKIT_HOST") == "" {
		return "", false, errors.New("no builder configured (--builder or BUILDKIT_HOST)")
	}
	b, err := o.connect(ctx, nil)
	if err != nil {
		return "", false, err
	}
	defer b.Close()
	c := b.Capabilities()
	return c.BuildKit, c.Reproducible, nil
}
