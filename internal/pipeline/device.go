package pipeline

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/docker"
)

// DeviceOptions choose how a container of the image is started: the device
// profile and its limits, what the recipe may be granted, and host
// directories to mount. test, run, build --test and reproduce share them.
type DeviceOptions struct {
	Profile device.Profile
	GPUs    device.GPUSelection
	Roots   device.Roots
	// ShmSize, Memlock and Stack are the flags' text ("" keeps the recipe's
	// or the profile's default).
	ShmSize, Memlock, Stack string
	// Allow grants what a recipe asks for: "privileged".
	Allow []string
	// Mounts are --mount SRC:DST[:ro] flags.
	Mounts []string
	// CDISpecDirs are where the nvidia profile looks for NVIDIA's CDI
	// spec; nil means CDI's defaults.
	CDISpecDirs []string
}

// spec resolves the profile on this host. wantPrivileged and recipeShm are
// the recipe's runtime wishes. Warnings go to warn.
func (o DeviceOptions) spec(wantPrivileged bool, recipeShm string, warn io.Writer) (device.Spec, error) {
	for _, a := range o.Allow {
		if a != "privileged" {
			return device.Spec{}, cannot("--allow %q: the only grant is privileged", a)
		}
	}
	opts := device.Options{GPUs: o.GPUs, Privileged: wantPrivileged, AllowPrivileged: slices.Contains(o.Allow, "privileged"), CDISpecDirs: o.CDISpecDirs}
	var err error
	shm := o.ShmSize
	if shm == "" {
		shm = recipeShm
	}
	if shm != "" {
		if opts.ShmSize, err = device.ParseSize(shm); err != nil {
			return device.Spec{}, cannot("--shm-size %q: %w", shm, err)
		}
	}
	if o.Memlock != "" {
		if opts.Memlock, err = device.ParseLimit(o.Memlock); err != nil {
			return device.Spec{}, cannot("--memlock %q: %w", o.Memlock, err)
		}
	}
	if o.Stack != "" {
		if opts.Stack, err = device.ParseLimit(o.Stack); err != nil {
			return device.Spec{}, cannot("--stack %q: %w", o.Stack, err)
		}
	}
	var host *device.Host
	if o.Profile == device.ProfileAuto || o.Profile == device.ProfileMACA {
		host, err = device.Discover(o.Roots)
		if err != nil {
			return device.Spec{}, cannot("discovering devices: %w", err)
		}
	}
	spec, err := o.Profile.Resolve(host, opts)
	if err != nil {
		return device.Spec{}, markCannot(err)
	}
	for _, w := range spec.Warnings {
		fmt.Fprintf(warn, "warning: %s\n", w)
	}
	return spec, nil
}

// binds checks the --mount flags: an existing host path, an absolute
// container path, and at most the ro or rw option.
func (o DeviceOptions) binds() ([]string, error) {
	var out []string
	for _, m := range o.Mounts {
		parts := strings.Split(m, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || !path.IsAbs(parts[1]) {
			return nil, cannot("--mount %q: want SRC:DST[:ro] with an absolute DST", m)
		}
		if len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw" {
			return nil, cannot("--mount %q: the option can be ro or rw", m)
		}
		src, err := filepath.Abs(parts[0])
		if err != nil {
			return nil, cannot("--mount %q: %w", m, err)
		}
		if _, err := os.Stat(src); err != nil {
			return nil, cannot("--mount %q: %w", m, err)
		}
		parts[0] = src
		out = append(out, strings.Join(parts, ":"))
	}
	return out, nil
}

// containerSpec maps a resolved device profile onto how Docker starts the
// container.
func containerSpec(s device.Spec, binds []string) docker.ContainerSpec {
	c := docker.ContainerSpec{
		Env:         slices.Clone(s.Env),
		ShmSize:     s.ShmSize,
		SecurityOpt: slices.Clone(s.SecurityOpt),
		Privileged:  s.Privileged,
		Binds:       binds,
	}
	for _, d := range s.Devices {
		c.Devices = append(c.Devices, docker.Device{HostPath: d.PathOnHost, ContainerPath: d.PathInContainer, Permissions: d.CgroupPermissions})
	}
	for _, g := range s.GroupAdd {
		c.GroupAdd = append(c.GroupAdd, strconv.FormatUint(uint64(g), 10))
	}
	for _, u := range s.Ulimits {
		c.Ulimits = append(c.Ulimits, docker.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for _, r := range s.DeviceRequests {
		c.DeviceRequests = append(c.DeviceRequests, docker.DeviceRequest{
			Driver: r.Driver, Count: r.Count, DeviceIDs: slices.Clone(r.DeviceIDs), Capabilities: r.Capabilities,
		})
	}
	return c
}

// describeDevices says in a line what the container gets.
func describeDevices(s device.Spec) string {
	if !s.HasDevices() {
		return "no devices (" + s.NoDeviceReason + ")"
	}
	var paths []string
	for _, d := range s.Devices {
		paths = append(paths, d.PathInContainer)
	}
	for _, r := range s.DeviceRequests {
		paths = append(paths, requestText(r))
	}
	return fmt.Sprintf("%s profile: %s", s.Profile, strings.Join(paths, " "))
}

// requestText says in words which devices a request asks for.
func requestText(r device.DeviceRequest) string {
	switch {
	case r.Driver == "cdi":
		return strings.Join(r.DeviceIDs, " ")
	case len(r.DeviceIDs) > 0:
		return "GPUs " + strings.Join(r.DeviceIDs, ",") + " (gpu capability)"
	}
	return "all GPUs (gpu capability)"
}
