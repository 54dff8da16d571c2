// Package buildkitd says how the test world runs the pinned buildkitd. The
// shared daemon of scripts/testenv.sh and the fresh ones that tests start
// are configured alike, so that a build cannot pass on one and fail on the
// other.
package buildkitd

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Config keeps a host's /etc/buildkit/buildkitd.toml out of the test world.
const Config = `[worker.oci]
  enabled = true
  gc = true
[worker.containerd]
  enabled = false
`

// Args is the command line of a daemon with the given config file, root
// and address. Host networking: RUN steps need no CNI setup.
func Args(config, root, addr string) []string {
	return []string{
		"--config", config,
		"--root", root,
		"--addr", addr,
		"--oci-worker=true",
		"--containerd-worker=false",
		"--oci-worker-net=host",
	}
}

// TempDir is the TMPDIR to give a daemon with this root: buildkitd makes its
// snapshot mount points under TMPDIR and does not always remove them, and
// under its root they go when the root goes.
func TempDir(root string) string {
	return filepath.Join(root, "tmp")
}

// probeTimeout bounds one probe, so a daemon that accepted the connection
// but hangs cannot stall the caller's own deadline.
const probeTimeout = 5 * time.Second

// Probe asks the daemon at addr for its workers. The socket appears before
// the workers are ready, so a successful connection alone proves nothing.
func Probe(ctx context.Context, buildctl, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, buildctl, "--addr", addr, "debug", "workers").CombinedOutput()
	if err != nil {
		return fmt.Errorf("buildctl debug workers: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
