package world

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Names inside the world. Tests and scripts read them from `env`.
const (
	debianSuite = "bookworm"
	debianRef   = "macabox.test/debian:" + debianSuite
	macasimRef  = "macabox.test/maca-sim:3.0.0.5"
	debianRepo  = "macabox/debian:" + debianSuite
	macasimRepo = "macabox/maca-sim:3.0.0.5"
	// ociStoreID is the name under which buildctl's --oci-layout exposes
	// the store: an oci-layout:// reference names a store id, not a path.
	ociStoreID = "macabox-testenv"
	// busybox is the busybox-static package's binary.
	busybox = "/bin/busybox"
)

// World is one test world: a checkout's scripts and fixtures, and a cache.
type World struct {
	Settings
	repo  string
	log   *Log
	host  *host
	tools Tools
	// out receives results (addresses, `env` lines, status); the log is
	// for people.
	out io.Writer
}

// New makes the cache's directories for a world of the checkout at repo.
func New(s Settings, repo string, out io.Writer, log *Log) (*World, error) {
	if _, err := os.Stat(filepath.Join(repo, "scripts", "fixtures")); err != nil {
		return nil, fmt.Errorf("%s is not a macabox checkout: %w", repo, err)
	}
	w := &World{Settings: s, repo: repo, log: log, host: &host{log: log}, out: out}
	for _, d := range []string{s.runDir(), s.logDir(), s.binDir(), s.fixtureDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("making the cache: %w", err)
		}
	}
	return w, nil
}

// resolveTools reads the tool pins. Only the commands that run the tools
// call it: down must work even when the pins are broken.
func (w *World) resolveTools() error {
	t, err := readToolPins(w.repo, w.binDir())
	if err != nil {
		return err
	}
	w.tools = t
	return nil
}

func (w *World) fixtureSource(parts ...string) string {
	return filepath.Join(append([]string{w.repo, "scripts", "fixtures"}, parts...)...)
}

// requireRoot: the world's daemons need root (buildkitd's OCI worker,
// debootstrap, dockerd); say so before minutes of building tools.
func requireRoot(command string) error {
	if isRoot() {
		return nil
	}
	return fmt.Errorf("the test world needs root: buildkitd runs its OCI worker as root (rootless BuildKit needs rootlesskit, not set up here) and debootstrap needs root; run as root, e.g. sudo -E scripts/testenv.sh %s", command)
}
