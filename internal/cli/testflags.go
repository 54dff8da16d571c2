package cli

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// testFlags are the device profile and report choices of test, run and
// build --test.
type testFlags struct {
	profile       device.Profile
	gpus          device.GPUSelection
	devRoot       string
	sysRoot       string
	shmSize       string
	memlock       string
	stack         string
	allow         []string
	requireDevice bool
	keep          bool
	reports       []string
	mounts        []string
}

func (t *testFlags) bind(f *pflag.FlagSet) {
	t.profile = device.ProfileAuto
	f.Var(&t.profile, "device", "device profile: auto (maca when /dev/mxcd exists), maca or none")
	f.Var(&t.gpus, "gpus", "GPUs to pass, by index as mx-smi numbers them: all, or e.g. 0,2 (default all)")
	f.StringVar(&t.devRoot, "dev-root", "/dev", "where to find device nodes (a fake tree in tests)")
	f.StringVar(&t.sysRoot, "sys-root", "/sys", "where to find sysfs (a fake tree in tests)")
	f.StringVar(&t.shmSize, "shm-size", "", "size of /dev/shm, e.g. 8g (default: the recipe's, else 8g with devices)")
	f.StringVar(&t.memlock, "memlock", "", "memlock ulimit, e.g. 8m or unlimited (default 8m; MetaX's docs use unlimited where the host allows)")
	f.StringVar(&t.stack, "stack", "", "stack ulimit, e.g. 64m")
	f.StringSliceVar(&t.allow, "allow", nil, "grant what a recipe asks for: privileged")
	f.BoolVar(&t.requireDevice, "require-device", false, "fail tests that need a device when none is passed, instead of skipping them")
	f.BoolVar(&t.keep, "keep", false, "leave the test container running and print its name")
	f.StringArrayVar(&t.reports, "report", nil, "write a report: FORMAT=FILE with FORMAT text, json, junit or md; FILE - is stdout (repeatable)")
	f.StringArrayVar(&t.mounts, "mount", nil, "mount a host directory, SRC:DST[:ro] (repeatable), e.g. a model directory")
}

// binds checks the --mount flags: an existing host path, an absolute
// container path, and at most the ro or rw option.
func (t *testFlags) binds() ([]string, error) {
	var out []string
	for _, m := range t.mounts {
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

// deviceSpec resolves the profile on this host. wantPrivileged and shm come
// from the recipe's runtime wishes.
func (t *testFlags) deviceSpec(wantPrivileged bool, recipeShm string) (device.Spec, error) {
	for _, a := range t.allow {
		if a != "privileged" {
			return device.Spec{}, cannot("--allow %q: the only grant is privileged", a)
		}
	}
	opts := device.Options{GPUs: t.gpus, Privileged: wantPrivileged, AllowPrivileged: contains(t.allow, "privileged")}
	var err error
	shm := t.shmSize
	if shm == "" {
		shm = recipeShm
	}
	if shm != "" {
		if opts.ShmSize, err = device.ParseSize(shm); err != nil {
			return device.Spec{}, cannot("--shm-size %q: %w", shm, err)
		}
	}
	if t.memlock != "" {
		if opts.Memlock, err = device.ParseLimit(t.memlock); err != nil {
			return device.Spec{}, cannot("--memlock %q: %w", t.memlock, err)
		}
	}
	if t.stack != "" {
		if opts.Stack, err = device.ParseLimit(t.stack); err != nil {
			return device.Spec{}, cannot("--stack %q: %w", t.stack, err)
		}
	}
	var host *device.Host
	if t.profile != device.ProfileNone {
		host, err = device.Discover(device.Roots{Dev: t.devRoot, Sys: t.sysRoot})
		if err != nil {
			return device.Spec{}, cannot("discovering devices: %w", err)
		}
	}
	spec, err := t.profile.Resolve(host, opts)
	if err != nil {
		return device.Spec{}, cannot("%w", err)
	}
	return spec, nil
}

// reportSpecs parses the --report flags before any work, so a typo fails fast.
func (t *testFlags) reportSpecs() ([]smoke.ReportSpec, error) {
	var specs []smoke.ReportSpec
	for _, r := range t.reports {
		f, path, err := smoke.ParseReportFlag(r)
		if err != nil {
			return nil, cannot("--report: %w", err)
		}
		specs = append(specs, smoke.ReportSpec{Format: f, Path: path})
	}
	return specs, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func describeDevices(s device.Spec) string {
	if !s.HasDevices() {
		return "no devices (" + s.NoDeviceReason + ")"
	}
	var paths []string
	for _, d := range s.Devices {
		paths = append(paths, d.PathInContainer)
	}
	return fmt.Sprintf("%s profile: %s", s.Profile, strings.Join(paths, " "))
}
