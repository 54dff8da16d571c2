package pipeline

import (
	"strconv"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// Cases are a plan's smoke tests in the order they run: base chain, layers,
// stack.
func Cases(p *plan.Plan) []smoke.Case {
	cases := make([]smoke.Case, 0, len(p.Smoke))
	for _, t := range p.Smoke {
		cases = append(cases, smoke.Case{Test: *t.Test, Origin: where(t.Pos), Recipe: t.Recipe})
	}
	return cases
}

func where(p recipe.Pos) string {
	if p.File == "" {
		return ""
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// Container maps a resolved device profile onto the smoke runner's plain
// container config.
func Container(s device.Spec) smoke.ContainerConfig {
	c := smoke.ContainerConfig{
		Env:         append([]string(nil), s.Env...),
		ShmSize:     s.ShmSize,
		SecurityOpt: append([]string(nil), s.SecurityOpt...),
		Privileged:  s.Privileged,
	}
	for _, d := range s.Devices {
		c.Devices = append(c.Devices, smoke.Device{HostPath: d.PathOnHost, ContainerPath: d.PathInContainer, Permissions: d.CgroupPermissions})
	}
	for _, g := range s.GroupAdd {
		c.GroupAdd = append(c.GroupAdd, strconv.FormatUint(uint64(g), 10))
	}
	for _, u := range s.Ulimits {
		c.Ulimits = append(c.Ulimits, smoke.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return c
}

// SmokeOptions is the smoke run of image with the device spec: device tests
// run only when the spec passes devices, and are otherwise skipped with the
// spec's reason.
func SmokeOptions(target, image string, cases []smoke.Case, s device.Spec) smoke.Options {
	reason := s.NoDeviceReason
	if reason == "" && !s.HasDevices() {
		reason = "no MACA device passed (--device none)"
	}
	return smoke.Options{
		Target:         target,
		Image:          image,
		Container:      Container(s),
		Cases:          cases,
		HasDevice:      s.HasDevices(),
		NoDeviceReason: reason,
	}
}
