package smoke

import (
	"io"
	"time"
)

// Options is one smoke run: one image, one container, the tests in order.
type Options struct {
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

	Container ContainerConfig
	Cases     []Case

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

// ContainerConfig is how the container is started. It is plain data: the CLI
// maps a device profile onto it.
type ContainerConfig struct {
	Devices []Device
	// GroupAdd holds numeric group ids, so that images without a "video"
	// group still get access to the device nodes.
	GroupAdd []string
	// Env holds KEY=VALUE entries added to the image's environment.
	Env []string
	// ShmSize is /dev/shm's size in bytes; 0 keeps Docker's default.
	ShmSize     int64
	Ulimits     []Ulimit
	SecurityOpt []string
	Privileged  bool
	// Binds are host directories mounted into the container, in Docker's
	// SRC:DST[:ro] form: a model directory for tests that need weights.
	Binds []string
	// Labels are added to the container next to macabox's own labels.
	Labels map[string]string
}

// Device passes one host device node into the container.
type Device struct {
	HostPath      string
	ContainerPath string
	// Permissions is the cgroup access, "rwm" when empty.
	Permissions string
}

// Ulimit is one resource limit, e.g. memlock; -1 means unlimited.
type Ulimit struct {
	Name string
	Soft int64
	Hard int64
}
