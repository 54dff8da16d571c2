package device_test

import (
	"reflect"
	"strings"
	"testing"

	units "github.com/docker/go-units"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/device/devicetest"
)

func TestDockerRunArgs(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	s := resolve(t, f, device.ProfileMACA, device.Options{
		GPUs:            device.SelectGPUs(1),
		Memlock:         device.Unlimited,
		ShmSize:         100 << 30,
		Privileged:      true,
		AllowPrivileged: true,
	})
	want := []string{
		"--device=" + f.Dev + "/mxcd:/dev/mxcd:rwm",
		"--device=" + f.Dev + "/dri/card1:/dev/dri/card1:rwm",
		"--device=" + f.Dev + "/dri/renderD128:/dev/dri/renderD128:rwm",
		"--group-add=44",
		"--group-add=105",
		"--env=CUDA_VISIBLE_DEVICES=0",
		"--env=MACA_VISIBLE_DEVICES=0",
		"--shm-size=100g",
		"--ulimit=memlock=-1",
		"--ulimit=stack=67108864",
		"--security-opt=seccomp=unconfined",
		"--privileged",
	}
	if got := s.DockerRunArgs(); !reflect.DeepEqual(got, want) {
		t.Errorf("args:\n got %q\nwant %q", got, want)
	}
}

func TestDockerRunArgsSplitsSoftAndHardLimits(t *testing.T) {
	s := device.Spec{Ulimits: []device.Ulimit{{Name: "memlock", Soft: 1024, Hard: 2048}}}
	if got, want := s.DockerRunArgs(), []string{"--ulimit=memlock=1024:2048"}; !reflect.DeepEqual(got, want) {
		t.Errorf("args = %q, want %q", got, want)
	}
}

// TestDockerRunArgsUlimitsReadByDocker: every --ulimit value, unlimited
// included, reads back through docker's own parser as the limits asked for.
func TestDockerRunArgsUlimitsReadByDocker(t *testing.T) {
	want := []device.Ulimit{
		{Name: "memlock", Soft: device.Unlimited, Hard: device.Unlimited},
		{Name: "stack", Soft: 64 << 20, Hard: 64 << 20},
		{Name: "nofile", Soft: 1024, Hard: 4096},
	}
	var got []device.Ulimit
	for _, arg := range (device.Spec{Ulimits: want}).DockerRunArgs() {
		v, ok := strings.CutPrefix(arg, "--ulimit=")
		if !ok {
			t.Fatalf("unexpected flag %q", arg)
		}
		u, err := units.ParseUlimit(v)
		if err != nil {
			t.Fatalf("docker cannot read %q: %v", arg, err)
		}
		got = append(got, device.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("docker read %+v, want %+v", got, want)
	}
}
