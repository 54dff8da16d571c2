package cli

import (
	"github.com/spf13/pflag"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// deviceFlags are the device profile and container choices of test, run,
// build --test and reproduce.
type deviceFlags struct {
	profile                 device.Profile
	gpus                    device.GPUSelection
	devRoot, sysRoot        string
	shmSize, memlock, stack string
	allow                   []string
	mounts                  []string
	cdiDirs                 []string
}

func (d *deviceFlags) bind(f *pflag.FlagSet) {
	d.profile = device.ProfileAuto
	f.Var(&d.profile, "device", "device profile: auto (maca when /dev/mxcd exists), maca, nvidia (a CUDA reference host) or none")
	f.Var(&d.gpus, "gpus", "GPUs to pass, by index as mx-smi numbers them: all, or e.g. 0,2")
	f.StringVar(&d.devRoot, "dev-root", "/dev", "where to find device nodes (a fake tree in tests)")
	f.StringVar(&d.sysRoot, "sys-root", "/sys", "where to find sysfs (a fake tree in tests)")
	f.StringVar(&d.shmSize, "shm-size", "", "size of /dev/shm, e.g. 8g (default: the recipe's, else 8g with devices)")
	f.StringVar(&d.memlock, "memlock", "", "memlock ulimit, e.g. 8m or unlimited (default 8m; MetaX's docs use unlimited where the host allows)")
	f.StringVar(&d.stack, "stack", "", "stack ulimit, e.g. 64m")
	f.StringSliceVar(&d.allow, "allow", nil, "grant what a recipe asks for: privileged")
	f.StringArrayVar(&d.mounts, "mount", nil, "mount a host directory, SRC:DST[:ro] (repeatable), e.g. a model directory")
	f.StringArrayVar(&d.cdiDirs, "cdi-spec-dir", nil, "with --device nvidia: where to look for NVIDIA's CDI spec (repeatable; default /etc/cdi and /var/run/cdi)")
}

func (d *deviceFlags) options() pipeline.DeviceOptions {
	return pipeline.DeviceOptions{
		Profile: d.profile, GPUs: d.gpus, Roots: device.Roots{Dev: d.devRoot, Sys: d.sysRoot},
		ShmSize: d.shmSize, Memlock: d.memlock, Stack: d.stack, Allow: d.allow, Mounts: d.mounts, CDISpecDirs: d.cdiDirs,
	}
}

// testFlags add to the device flags what a smoke run reports and demands.
type testFlags struct {
	deviceFlags
	requireDevice bool
	keep          bool
	reports       []string
}

func (t *testFlags) bind(f *pflag.FlagSet) {
	t.deviceFlags.bind(f)
	f.BoolVar(&t.requireDevice, "require-device", false, "fail tests that need a device when none is passed, instead of skipping them")
	f.BoolVar(&t.keep, "keep", false, "leave the test container running and print its name")
	f.StringArrayVar(&t.reports, "report", nil, "write a report: FORMAT=FILE with FORMAT text, json, junit or md; FILE - is stdout (repeatable)")
}

// options parses the flags, so a typo in --report fails before any work.
func (t *testFlags) options(s Streams) (pipeline.SmokeOptions, error) {
	o := pipeline.SmokeOptions{
		Device: t.deviceFlags.options(), RequireDevice: t.requireDevice, Keep: t.keep, Out: s.Out, Err: s.Err,
	}
	for _, r := range t.reports {
		f, path, err := smoke.ParseReportFlag(r)
		if err != nil {
			return o, cannot("--report: %w", err)
		}
		o.Reports = append(o.Reports, smoke.ReportSpec{Format: f, Path: path})
	}
	return o, nil
}
