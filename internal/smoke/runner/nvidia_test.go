package runner

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// nvidiaSpec is what the nvidia profile gives the runner for all GPUs.
var nvidiaSpec = docker.ContainerSpec{
	DeviceRequests: []docker.DeviceRequest{{Count: -1, Capabilities: [][]string{{"gpu"}}}},
	ShmSize:        64 << 20,
}

// TestNVIDIAContainerSpec: the host config the runner gives testcontainers
// asks Docker for every GPU with the gpu capability, as docker run --gpus
// all does.
func TestNVIDIAContainerSpec(t *testing.T) {
	var hc container.HostConfig
	nvidiaSpec.HostConfigModifier()(&hc)
	if len(hc.DeviceRequests) != 1 {
		t.Fatalf("device requests: %+v", hc.DeviceRequests)
	}
	r := hc.DeviceRequests[0]
	if r.Driver != "" || r.Count != -1 || len(r.DeviceIDs) != 0 || len(r.Capabilities) != 1 || !slices.Equal(r.Capabilities[0], []string{"gpu"}) {
		t.Errorf("device request %+v", r)
	}
	if len(hc.Devices) != 0 || hc.Privileged {
		t.Errorf("nodes or privileges besides the request: %+v", hc)
	}
}

// TestNVIDIARequestReachesDocker sends the request to the real engine. The
// test world has no NVIDIA GPU or container toolkit, so Docker refuses the
// container for the request's sake, which shows the request got there, and
// the run leaves nothing behind. On a host with the toolkit the container
// starts instead and sees NVIDIA's control node.
func TestNVIDIARequestReachesDocker(t *testing.T) {
	needDocker(t)
	runID := NewRunID()
	t.Cleanup(func() { noLeftovers(t, runID) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{
		Docker: testDocker, Image: testImage, Target: "nvidia", RunID: runID, Container: nvidiaSpec, HasDevice: true,
		Tests: []smoke.Test{caseOf(smoke.Test{Name: "nvidia control node", File: "/dev/nvidiactl"})},
	})
	if err == nil {
		if rep.Results[0].Status != smoke.StatusPassed {
			t.Errorf("the GPUs were requested but the container has no /dev/nvidiactl: %s", rep.Results[0].Explain())
		}
		return
	}
	if !strings.Contains(err.Error(), `could not select device driver "" with capabilities: [[gpu]]`) {
		t.Errorf("Docker did not refuse the GPU request, but: %v", err)
	}
	if rep == nil || rep.Incomplete != "the test container did not start" {
		t.Errorf("report %+v", rep)
	}
}
