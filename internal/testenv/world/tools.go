package world

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	buildkitModule = "github.com/moby/buildkit"
	registryModule = "github.com/distribution/distribution/v3"
)

// Tools are the pinned binaries, at the versions scripts/tools/*/go.mod
// require, under bin/NAME-VERSION/ in the cache.
type Tools struct {
	BuildkitVersion string
	RegistryVersion string
	Buildkitd       string
	Buildctl        string
	Registry        string
}

// pinnedVersions checks the tool modules against the main module and
// returns the versions to build. BuildKit's daemon must be the version of
// the client library that talks to it, and both must be known: a replace
// directive would make them unknowable.
func pinnedVersions(mainMod, buildkitMod, registryMod []byte) (buildkit, registry string, err error) {
	buildkit = gomodRequire(buildkitMod, buildkitModule)
	registry = gomodRequire(registryMod, registryModule)
	main := gomodRequire(mainMod, buildkitModule)
	switch {
	case buildkit == "":
		return "", "", fmt.Errorf("scripts/tools/buildkit/go.mod does not require %s", buildkitModule)
	case registry == "":
		return "", "", fmt.Errorf("scripts/tools/registry/go.mod does not require %s", registryModule)
	case main == "":
		return "", "", fmt.Errorf("go.mod does not require %s; the pinned buildkitd/buildctl (%s) must match the client library", buildkitModule, buildkit)
	case gomodReplaces(mainMod, buildkitModule) || gomodReplaces(buildkitMod, buildkitModule):
		return "", "", fmt.Errorf("a replace directive for %s makes the client and the daemon versions unknowable; remove it or pin both explicitly", buildkitModule)
	case main != buildkit:
		return "", "", fmt.Errorf("BuildKit version mismatch: go.mod requires %[1]s %[2]s but scripts/tools/buildkit/go.mod pins %[3]s; run: (cd scripts/tools/buildkit && go get -tool %[1]s/cmd/buildkitd@%[2]s %[1]s/cmd/buildctl@%[2]s && go mod tidy)", buildkitModule, main, buildkit)
	}
	return buildkit, registry, nil
}

// readToolPins reads the pins and names the binaries; it builds nothing.
func readToolPins(repo, binDir string) (Tools, error) {
	var mods [3][]byte
	for i, p := range []string{"go.mod", "scripts/tools/buildkit/go.mod", "scripts/tools/registry/go.mod"} {
		data, err := os.ReadFile(filepath.Join(repo, p))
		if err != nil {
			return Tools{}, fmt.Errorf("reading the tool pins: %w", err)
		}
		mods[i] = data
	}
	bk, reg, err := pinnedVersions(mods[0], mods[1], mods[2])
	if err != nil {
		return Tools{}, err
	}
	return Tools{
		BuildkitVersion: bk,
		RegistryVersion: reg,
		Buildkitd:       filepath.Join(binDir, "buildkitd-"+bk, "buildkitd"),
		Buildctl:        filepath.Join(binDir, "buildctl-"+bk, "buildctl"),
		Registry:        filepath.Join(binDir, "registry-"+reg, "registry"),
	}, nil
}

// toolBinary is one binary of a tool module.
type toolBinary struct {
	out string // where it goes
	pkg string // its main package
	// version, when set, must appear in `out --version`: a binary built
	// without the version stamped in (as older setups did) would make every
	// builder report v0.0.0+unknown.
	version string
}

func (b toolBinary) upToDate(ctx context.Context) bool {
	fi, err := os.Stat(b.out)
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		return false
	}
	if b.version == "" {
		return true
	}
	out, err := exec.CommandContext(ctx, b.out, "--version").Output()
	return err == nil && strings.Contains(string(out), b.version)
}

// ensureTools builds whatever pinned binary is missing or stale. The Go
// build cache makes a rebuild after a cache wipe cheap.
func (w *World) ensureTools(ctx context.Context) error {
	t := w.tools
	// BuildKit reports the version stamped at link time; without it the
	// daemon says v0.0.0+unknown and bundles cannot name the version that
	// gave their digest.
	stamp := fmt.Sprintf("-X %[1]s/version.Version=%[2]s -X %[1]s/version.Package=%[1]s", buildkitModule, t.BuildkitVersion)
	err := w.buildTools(ctx, "buildkit", stamp,
		toolBinary{out: t.Buildkitd, pkg: buildkitModule + "/cmd/buildkitd", version: t.BuildkitVersion},
		toolBinary{out: t.Buildctl, pkg: buildkitModule + "/cmd/buildctl", version: t.BuildkitVersion})
	if err != nil {
		return err
	}
	if err := w.buildTools(ctx, "registry", "", toolBinary{out: t.Registry, pkg: registryModule + "/cmd/registry"}); err != nil {
		return err
	}
	w.log.Printf("tools: buildkitd/buildctl %s, registry %s", t.BuildkitVersion, t.RegistryVersion)
	return nil
}

// buildTools builds the stale binaries of the tool module
// scripts/tools/MODULE in one go build, so that packages they share are
// compiled once and their links overlap.
func (w *World) buildTools(ctx context.Context, module, ldflags string, bins ...toolBinary) error {
	var stale []toolBinary
	for _, b := range bins {
		if !b.upToDate(ctx) {
			stale = append(stale, b)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	moddir := filepath.Join(w.repo, "scripts", "tools", module)
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("the Go toolchain is needed to build the pinned %s tools; install the version of the go line of %s/go.mod", module, moddir)
	}
	tmp, err := os.MkdirTemp(w.binDir(), ".build-"+module+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	args := []string{"build", "-mod=readonly", "-buildvcs=false", "-trimpath", "-ldflags", ldflags, "-o", tmp + string(filepath.Separator)}
	for _, b := range stale {
		w.log.Printf("building %s -> %s", b.pkg, b.out)
		args = append(args, b.pkg)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moddir
	// GOWORK=off: a go.work in the checkout must not pull the tool module
	// into the main module's build list. CGO off gives static binaries that
	// do not depend on the host's libc.
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build of the pinned %s tools in %s failed (see above): %w", module, moddir, err)
	}
	for _, b := range stale {
		if err := os.MkdirAll(filepath.Dir(b.out), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, filepath.Base(b.pkg)), b.out); err != nil {
			return fmt.Errorf("installing %s: %w", b.out, err)
		}
	}
	return nil
}
