package hostcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/device"
)

// Options say where to look. Empty roots mean the real /dev and /sys.
type Options struct {
	Roots device.Roots
	// DiskPath is where images land (Docker's data root); default /var/lib/docker.
	DiskPath string
	// Timeout bounds each daemon probe, so an unreachable daemon costs seconds, not minutes.
	Timeout time.Duration
	Probes  Probes
	// RunSMI runs mx-smi; nil means look it up on PATH and under /opt/mxdriver/bin.
	RunSMI func(name string, args ...string) (string, error)
}

// Run performs every check. It never stops early: a doctor that quits at the
// first problem hides the second one.
func Run(ctx context.Context, o Options) *Report {
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if o.DiskPath == "" {
		o.DiskPath = "/var/lib/docker"
		if _, err := os.Stat(o.DiskPath); err != nil {
			o.DiskPath = "/"
		}
	}
	if o.RunSMI == nil {
		o.RunSMI = runSMI
	}
	r := &Report{}
	r.add(dockerCheck(ctx, o, &r.Facts))
	r.add(builderCheck(ctx, o, &r.Facts))
	for _, c := range deviceChecks(o.Roots, &r.Facts) {
		r.add(c)
	}
	r.add(smiCheck(o.RunSMI, &r.Facts))
	r.add(memlockCheck(&r.Facts))
	sys := o.Roots.Sys
	if sys == "" {
		sys = "/sys"
	}
	r.add(cgroupCheck(sys, &r.Facts))
	r.add(diskCheck(o.DiskPath, &r.Facts))
	return r
}

func dockerCheck(ctx context.Context, o Options, f *Facts) Check {
	if o.Probes.Docker == nil {
		return Check{Name: "docker", Status: Warn, Detail: "not checked"}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	v, err := o.Probes.Docker(ctx)
	if err != nil {
		return Check{Name: "docker", Status: Fail, Detail: "unreachable: " + firstLine(err.Error()),
			Fix: "start the Docker engine (systemctl start docker) or set DOCKER_HOST"}
	}
	f.Docker = v
	return Check{Name: "docker", Status: OK, Detail: "engine " + v}
}

func builderCheck(ctx context.Context, o Options, f *Facts) Check {
	if o.Probes.Builder == nil {
		return Check{Name: "buildkit", Status: Warn, Detail: "not checked"}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	v, repro, err := o.Probes.Builder(ctx)
	if err != nil {
		return Check{Name: "buildkit", Status: Fail, Detail: firstLine(err.Error()),
			Fix: "start buildkitd and pass --builder unix:///run/buildkit/buildkitd.sock (or set BUILDKIT_HOST)"}
	}
	f.BuildKit, f.Reproducible = v, repro
	if !repro {
		return Check{Name: "buildkit", Status: Warn, Detail: "BuildKit " + v + " cannot build reproducibly",
			Fix: "use a standalone buildkitd v0.13 or newer (macabox pins v0.34.2)"}
	}
	return Check{Name: "buildkit", Status: OK, Detail: "BuildKit " + v + ", reproducible builds supported"}
}

// deviceChecks report the MACA control nodes, the DRI nodes of each GPU and
// the groups that own them (a container needs the group id, not the name).
func deviceChecks(roots device.Roots, f *Facts) []Check {
	h, err := device.Discover(roots)
	if err != nil {
		return []Check{{Name: "maca devices", Status: Fail, Detail: err.Error(), Fix: "check the dev root"}}
	}
	ok, reason := h.Present()
	if !ok {
		return []Check{{Name: "maca devices", Status: Warn, Detail: reason + "; device tests will be skipped",
			Fix: "load the metax kernel module (modprobe metax) on a MetaX host, or use --device none"}}
	}
	gids := map[int]bool{}
	var nodes []string
	for _, n := range append(append([]device.Node{}, h.Control...), h.InfiniBand...) {
		nodes = append(nodes, n.HostPath)
		gids[int(n.GID)] = true
	}
	f.MACANodes = nodes
	checks := []Check{{Name: "maca devices", Status: OK, Detail: strings.Join(nodes, " ")}}
	for _, g := range h.GPUs {
		gpu := GPU{Index: g.Index, BDF: g.BDF}
		for _, n := range g.Nodes {
			gpu.Nodes = append(gpu.Nodes, n.HostPath)
			gids[int(n.GID)] = true
		}
		f.GPUs = append(f.GPUs, gpu)
		st, detail := OK, fmt.Sprintf("%s → %s", g.BDF, strings.Join(baseNames(gpu.Nodes), " "))
		if len(g.Nodes) == 0 {
			st, detail = Warn, g.BDF+" has no DRM nodes"
		}
		checks = append(checks, Check{Name: fmt.Sprintf("gpu %d", g.Index), Status: st, Detail: detail})
	}
	if len(h.UnmappedDRI) > 0 {
		checks = append(checks, Check{Name: "gpus", Status: Warn,
			Detail: fmt.Sprintf("%d DRI nodes but no metax driver in sysfs: GPUs cannot be told apart", len(h.UnmappedDRI)),
			Fix:    "check the metax module is loaded; --gpus selection is unavailable until then"})
	}
	for _, w := range h.Warnings {
		checks = append(checks, Check{Name: "devices", Status: Warn, Detail: w})
	}
	for g := range gids {
		f.DeviceGroups = append(f.DeviceGroups, g)
	}
	sort.Ints(f.DeviceGroups)
	checks = append(checks, Check{Name: "device groups", Status: OK,
		Detail: fmt.Sprintf("gid %s (passed to containers numerically)", joinInts(f.DeviceGroups))})
	return checks
}

func baseNames(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

type notFoundError struct{ error }

func (notFoundError) NotFound() bool { return true }

// runSMI finds mx-smi where MetaX installs it even when it is not on PATH.
func runSMI(name string, args ...string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		alt := filepath.Join("/opt/mxdriver/bin", name)
		if _, statErr := os.Stat(alt); statErr != nil {
			return "", notFoundError{err}
		}
		path = alt
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), fmt.Errorf("%s: %w: %s", name, err, firstLine(string(out)))
		}
		return string(out), err
	}
	return string(out), nil
}
