package runner

import (
	"io"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// Options is one smoke run: one image, one container, the tests in order.
type Options struct {
	// Docker is the engine the container runs on.
	Docker *docker.Client
	// Target names what is tested (a recipe name, or the image); it is the
	// suite name in reports.
	Target string
	// Image is the reference to start. It must be in the local image store
	// unless Pull is set.
	Image string
	// Pull lets Docker pull Image when it is not present locally.
	Pull bool
	// Simulated marks an image whose MACA is a stand-in (recipe field
	// "simulated"); every report says so.
	Simulated bool

	Container docker.ContainerSpec
	Tests     []smoke.Test

	// HasDevice says whether a MACA device is passed to the container;
	// without one, tests that need it are skipped with NoDeviceReason (or
	// failed when RequireDevice is set).
	HasDevice      bool
	NoDeviceReason string
	RequireDevice  bool

	// Keep leaves the container running after the tests, for a person to
	// look into; its name is in Report.Container. An interrupted run removes
	// it all the same.
	Keep bool
	// RunID labels the container; empty means a fresh random one.
	RunID string
	// Progress receives one line per step for people (stderr); nil is silent.
	Progress io.Writer
	// Now is the clock; nil means time.Now. Tests fix it for stable reports.
	Now func() time.Time
}
