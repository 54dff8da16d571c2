// Package devicetest builds fake MACA hosts for tests: a dev root with real
// device nodes made by mknod and a sys root shaped like the metax driver's
// sysfs tree. Nodes use harmless numbers (1:3, /dev/null's) so a container
// given one can open it without touching hardware.
package devicetest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
)

// GPU is a fake GPU: its PCI address and DRM node numbers.
type GPU struct {
	BDF    string
	Card   int // /dev/dri/card<Card>
	Render int // /dev/dri/renderD<Render>
}

// DefaultGPUs returns two GPUs whose PCI order differs from their card
// order, as on real hosts: GPU 0 (0000:0e:00.0) is card2/renderD129 and
// GPU 1 (0000:8a:00.0) is card1/renderD128. The default host also has a
// card0 that belongs to no GPU, like a board's VGA.
func DefaultGPUs() []GPU {
	return []GPU{
		{BDF: "0000:8a:00.0", Card: 1, Render: 128},
		{BDF: "0000:0e:00.0", Card: 2, Render: 129},
	}
}

// Default group ids of the fake nodes, non-zero and distinct so tests can
// tell which group came from which node.
const (
	DefaultControlGID uint32 = 44  // mxcd, mxnd, mxgd, card nodes
	DefaultRenderGID  uint32 = 105 // renderD nodes
)

// FakeHost is a fake dev root and sys root under a test's temp dir.
type FakeHost struct {
	Dev, Sys   string
	GPUs       []GPU
	ControlGID uint32
	RenderGID  uint32
	t          testing.TB
}

// Roots returns the roots to give device.Discover.
func (f *FakeHost) Roots() device.Roots { return device.Roots{Dev: f.Dev, Sys: f.Sys} }

// Discover runs device.Discover on the fake host and fails the test on error.
func (f *FakeHost) Discover() *device.Host {
	f.t.Helper()
	h, err := device.Discover(f.Roots())
	if err != nil {
		f.t.Fatalf("discovering fake host: %v", err)
	}
	return h
}

type config struct {
	gpus       []GPU
	control    []string
	infiniband []string
	noSysfs    bool
	driverName string
	noVGA      bool
	controlGID uint32
	renderGID  uint32
}

// Option changes what NewFakeHost builds.
type Option func(*config)

// WithGPUs replaces DefaultGPUs(); with no arguments the host has no GPUs.
func WithGPUs(gpus ...GPU) Option {
	return func(c *config) { c.gpus = append([]GPU{}, gpus...) }
}

// WithControl sets which of mxcd, mxnd and mxgd exist (default: mxcd only).
// WithControl() leaves all out, as on a host without MACA.
func WithControl(names ...string) Option {
	return func(c *config) { c.control = append([]string{}, names...) }
}

// WithInfiniBand creates <dev>/infiniband with the named nodes.
func WithInfiniBand(names ...string) Option {
	return func(c *config) { c.infiniband = names }
}

// WithoutSysfs leaves out the metax driver directory while keeping the DRI
// nodes, as in a container that sees /dev but not the host's /sys.
func WithoutSysfs() Option { return func(c *config) { c.noSysfs = true } }

// WithDriverName names the driver directory, e.g. "pci:metax" (default
// "pci:METAX").
func WithDriverName(name string) Option { return func(c *config) { c.driverName = name } }

// WithoutVGA leaves out the card0 that belongs to no GPU.
func WithoutVGA() Option { return func(c *config) { c.noVGA = true } }

// WithGIDs sets the groups of control and card nodes, and of render nodes.
func WithGIDs(control, render uint32) Option {
	return func(c *config) { c.controlGID, c.renderGID = control, render }
}

// NewFakeHost builds a fake host in t.TempDir, which the test's cleanup
// removes. It skips the test where mknod is not allowed (not root).
func NewFakeHost(t testing.TB, opts ...Option) *FakeHost {
	t.Helper()
	c := config{
		gpus:       DefaultGPUs(),
		control:    []string{"mxcd"},
		driverName: "pci:METAX",
		controlGID: DefaultControlGID,
		renderGID:  DefaultRenderGID,
	}
	for _, o := range opts {
		o(&c)
	}
	root := t.TempDir()
	f := &FakeHost{
		Dev:        filepath.Join(root, "dev"),
		Sys:        filepath.Join(root, "sys"),
		GPUs:       c.gpus,
		ControlGID: c.controlGID,
		RenderGID:  c.renderGID,
		t:          t,
	}
	mkdirs(t, f.Dev, f.Sys)
	for _, name := range c.control {
		f.Mknod(name, 1, 3, c.controlGID)
	}
	for _, name := range c.infiniband {
		// Like the real ones: root's, and open to everyone.
		f.node(filepath.Join("infiniband", name), 1, 3, 0, 0o666)
	}
	if !c.noVGA {
		f.Mknod("dri/card0", 1, 3, c.controlGID)
	}
	for _, g := range c.gpus {
		f.Mknod(filepath.Join("dri", cardName(g)), 1, 3, c.controlGID)
		f.Mknod(filepath.Join("dri", renderName(g)), 1, 3, c.renderGID)
	}
	if !c.noSysfs {
		f.writeSysfs(c.driverName)
	}
	return f
}

// Mknod makes a character device node at <dev>/rel, readable and writable
// by its owner and group gid only, as GPU nodes are, and returns its path.
func (f *FakeHost) Mknod(rel string, major, minor, gid uint32) string {
	f.t.Helper()
	return f.node(rel, major, minor, gid, 0o660)
}

func (f *FakeHost) node(rel string, major, minor, gid uint32, mode os.FileMode) string {
	f.t.Helper()
	p := filepath.Join(f.Dev, rel)
	mkdirs(f.t, filepath.Dir(p))
	mknod(f.t, p, major, minor)
	if err := os.Lchown(p, -1, int(gid)); err != nil {
		f.t.Fatalf("devicetest: %v", err)
	}
	// Set the mode apart: mknod's is cut by the umask.
	if err := os.Chmod(p, mode); err != nil {
		f.t.Fatalf("devicetest: %v", err)
	}
	return p
}

// writeSysfs lays out the driver directory as sysfs does: a link per bound
// device named by its BDF, pointing into the devices tree that holds drm/,
// beside the driver's control files.
func (f *FakeHost) writeSysfs(driverName string) {
	f.t.Helper()
	driver := filepath.Join(f.Sys, "module", "metax", "drivers", driverName)
	mkdirs(f.t, driver)
	for _, name := range []string{"bind", "unbind", "new_id", "remove_id", "uevent"} {
		writeFile(f.t, filepath.Join(driver, name))
	}
	for _, g := range f.GPUs {
		devDir := filepath.Join(f.Sys, "devices", "pci0000:00", g.BDF)
		mkdirs(f.t, filepath.Join(devDir, "drm", cardName(g)), filepath.Join(devDir, "drm", renderName(g)))
		if err := os.Symlink(devDir, filepath.Join(driver, g.BDF)); err != nil {
			f.t.Fatalf("devicetest: %v", err)
		}
	}
}

func cardName(g GPU) string   { return "card" + strconv.Itoa(g.Card) }
func renderName(g GPU) string { return "renderD" + strconv.Itoa(g.Render) }

func mkdirs(t testing.TB, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("devicetest: %v", err)
		}
	}
}

func writeFile(t testing.TB, p string) {
	t.Helper()
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatalf("devicetest: %v", err)
	}
}
