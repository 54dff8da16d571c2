package pipeline

import (
	"context"
	"strconv"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// wantsReference says whether any test compares or measures: only their
// results are worth the host's facts beside them.
func wantsReference(tests []smoke.Test) bool {
	for _, t := range tests {
		if smoke.WantsReference(t) {
			return true
		}
	}
	return false
}

// hostFacts are doctor's facts of this host, by name, without its paths:
// what a reference or a benchmark figure was produced on.
func hostFacts(ctx context.Context, cli *docker.Client, roots device.Roots) map[string]string {
	f := hostcheck.Run(ctx, hostcheck.Options{Roots: roots, Probes: hostcheck.Probes{Docker: cli.Version}}).Facts
	out := map[string]string{}
	add := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	add("docker", f.Docker)
	add("kernelDriver", f.KernelDriver)
	add("hostMaca", f.HostMACA)
	add("mxSmi", f.MXSMI)
	add("macaNodes", strings.Join(f.MACANodes, " "))
	if len(f.GPUs) > 0 {
		add("metaxGpus", strconv.Itoa(len(f.GPUs)))
	}
	add("memlockHard", f.MemlockHard)
	if f.CgroupVersion > 0 {
		add("cgroup", "v"+strconv.Itoa(f.CgroupVersion))
	}
	return out
}
