package world

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// need is a command and the Debian package that provides it.
type need struct{ command, pkg string }

// hostNeeds are the commands the world runs. shellcheck is not run here,
// but the bundle tests check the scripts they generate with it.
var hostNeeds = []need{
	{"debootstrap", "debootstrap"},
	{"gpgv", "gpgv"},
	{"skopeo", "skopeo"},
	{"shellcheck", "shellcheck"},
}

// busyboxPackage is needed for a file, not a command: tests build FROM
// scratch images around its static binary, and a `busybox` on PATH may be
// the dynamic one.
const busyboxPackage = "busybox-static"

func isRoot() bool { return os.Geteuid() == 0 }

// host installs Debian packages, once per command run.
type host struct {
	log        *Log
	aptUpdated bool
}

// ensureCommands installs the package of each missing command.
func (h *host) ensureCommands(ctx context.Context, needs ...need) error {
	var missing, pkgs []string
	for _, n := range needs {
		if _, err := exec.LookPath(n.command); err == nil {
			continue
		}
		missing = append(missing, n.command)
		// Several commands can come from one package (docker, dockerd).
		if !slices.Contains(pkgs, n.pkg) {
			pkgs = append(pkgs, n.pkg)
		}
	}
	if len(pkgs) == 0 {
		return nil
	}
	if err := h.aptInstall(ctx, "missing commands: "+strings.Join(missing, " "), pkgs); err != nil {
		return err
	}
	for _, c := range missing {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("installed %s but %s is still not on PATH (%s)", strings.Join(pkgs, " "), c, os.Getenv("PATH"))
		}
	}
	return nil
}

// ensurePackages installs packages that dpkg does not list as installed.
func (h *host) ensurePackages(ctx context.Context, pkgs ...string) error {
	var missing []string
	for _, p := range pkgs {
		out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "${Status}", p).Output()
		if err != nil || string(out) != "install ok installed" {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return h.aptInstall(ctx, "missing packages: "+strings.Join(missing, " "), missing)
}

// aptInstall installs pkgs as root; anyone else gets the exact command to
// run. A fresh CI machine has none of the tools the world needs.
func (h *host) aptInstall(ctx context.Context, why string, pkgs []string) error {
	list := strings.Join(pkgs, " ")
	if !isRoot() {
		return fmt.Errorf("%s; install with: sudo apt-get install -y %s", why, list)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("%s, and there is no apt-get to install %s", why, list)
	}
	h.log.Printf("installing %s (%s)", list, why)
	if !h.aptUpdated {
		if err := h.apt(ctx, "update", "-q"); err != nil {
			return fmt.Errorf("apt-get update failed; the Debian mirror must be reachable: %w", err)
		}
		h.aptUpdated = true
	}
	// Recommends are skipped: docker.io would pull in needrestart and
	// friends, which prompt or restart services on a CI machine.
	if err := h.apt(ctx, append([]string{"install", "-y", "-q", "--no-install-recommends"}, pkgs...)...); err != nil {
		return fmt.Errorf("apt-get install %s failed: %w", list, err)
	}
	return nil
}

func (h *host) apt(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// ensureDockerPackages: docker.io is installed without its Recommends, one
// of which is apparmor; on a kernel with AppArmor on, dockerd cannot start
// containers without apparmor_parser.
func (h *host) ensureDockerPackages(ctx context.Context) error {
	err := h.ensureCommands(ctx, need{"docker", "docker.io"}, need{"dockerd", "docker.io"}, need{"runc", "runc"})
	if err != nil {
		return err
	}
	if on, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil && strings.HasPrefix(string(on), "Y") {
		return h.ensureCommands(ctx, need{"apparmor_parser", "apparmor"})
	}
	return nil
}

// ensureHostPackages installs everything `up` runs.
func (h *host) ensureHostPackages(ctx context.Context) error {
	if err := h.ensureCommands(ctx, hostNeeds...); err != nil {
		return err
	}
	if err := h.ensureDockerPackages(ctx); err != nil {
		return err
	}
	return h.ensurePackages(ctx, busyboxPackage)
}
