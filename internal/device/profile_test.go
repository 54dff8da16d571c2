package device_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/device/devicetest"
)

func resolve(t *testing.T, f *devicetest.FakeHost, p device.Profile, o device.Options) device.Spec {
	t.Helper()
	s, err := p.Resolve(f.Discover(), o)
	if err != nil {
		t.Fatalf("resolving %s: %v", p, err)
	}
	return s
}

// mapped lists where the Spec's devices come from, relative to the fake
// dev root, checking that each keeps its path inside the container.
func mapped(t *testing.T, f *devicetest.FakeHost, s device.Spec) []string {
	t.Helper()
	var out []string
	for _, d := range s.Devices {
		rel, err := filepath.Rel(f.Dev, d.PathOnHost)
		if err != nil {
			t.Fatal(err)
		}
		if d.PathInContainer != "/dev/"+rel || d.CgroupPermissions != "rwm" {
			t.Errorf("mapping %+v: want /dev/%s with rwm", d, rel)
		}
		out = append(out, rel)
	}
	return out
}

func selection(t *testing.T, s string) device.GPUSelection {
	t.Helper()
	g, err := device.ParseGPUs(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestResolveMACASelectsGPUs(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	tests := []struct {
		gpus    string
		devices []string
		visible string
		bdfs    []string
	}{
		{"all", []string{"mxcd", "dri/card2", "dri/renderD129", "dri/card1", "dri/renderD128"}, "0,1", []string{"0000:0e:00.0", "0000:8a:00.0"}},
		{"1", []string{"mxcd", "dri/card1", "dri/renderD128"}, "0", []string{"0000:8a:00.0"}},
		{"0", []string{"mxcd", "dri/card2", "dri/renderD129"}, "0", []string{"0000:0e:00.0"}},
		{"1,0", []string{"mxcd", "dri/card2", "dri/renderD129", "dri/card1", "dri/renderD128"}, "0,1", []string{"0000:0e:00.0", "0000:8a:00.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.gpus, func(t *testing.T) {
			s := resolve(t, f, device.ProfileMACA, device.Options{GPUs: selection(t, tt.gpus)})
			if got := mapped(t, f, s); !reflect.DeepEqual(got, tt.devices) {
				t.Errorf("devices = %v, want %v", got, tt.devices)
			}
			wantEnv := []string{"CUDA_VISIBLE_DEVICES=" + tt.visible, "MACA_VISIBLE_DEVICES=" + tt.visible}
			if !reflect.DeepEqual(s.Env, wantEnv) {
				t.Errorf("env = %q, want %q", s.Env, wantEnv)
			}
			var bdfs []string
			for _, g := range s.GPUs {
				bdfs = append(bdfs, g.BDF)
			}
			if !reflect.DeepEqual(bdfs, tt.bdfs) {
				t.Errorf("GPUs = %v, want %v", bdfs, tt.bdfs)
			}
		})
	}
}

func TestResolveMACADefaults(t *testing.T) {
	s := resolve(t, devicetest.NewFakeHost(t), device.ProfileMACA, device.Options{})
	if s.Profile != device.ProfileMACA || !s.HasDevices() || s.NoDeviceReason != "" {
		t.Errorf("profile %s, devices %v, reason %q", s.Profile, s.HasDevices(), s.NoDeviceReason)
	}
	if want := []uint32{devicetest.DefaultControlGID, devicetest.DefaultRenderGID}; !reflect.DeepEqual(s.GroupAdd, want) {
		t.Errorf("group add = %v, want %v", s.GroupAdd, want)
	}
	if s.ShmSize != device.DefaultShmSize {
		t.Errorf("shm size = %d, want %d", s.ShmSize, device.DefaultShmSize)
	}
	wantLimits := []device.Ulimit{
		{Name: "memlock", Soft: 8 << 20, Hard: 8 << 20},
		{Name: "stack", Soft: 64 << 20, Hard: 64 << 20},
	}
	if !reflect.DeepEqual(s.Ulimits, wantLimits) {
		t.Errorf("ulimits = %+v, want %+v", s.Ulimits, wantLimits)
	}
	if !reflect.DeepEqual(s.SecurityOpt, []string{"seccomp=unconfined"}) || s.Privileged {
		t.Errorf("security opts %q, privileged %v", s.SecurityOpt, s.Privileged)
	}
}

func TestResolveMACAGroupIDsAreNumericAndDeduplicated(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithGIDs(4243, 4242), devicetest.WithInfiniBand("uverbs0"))
	f.Mknod("mxnd", 1, 3, 4243)
	s := resolve(t, f, device.ProfileMACA, device.Options{})
	// InfiniBand's nodes belong to group 0, which is never added.
	if want := []uint32{4242, 4243}; !reflect.DeepEqual(s.GroupAdd, want) {
		t.Errorf("group add = %v, want %v", s.GroupAdd, want)
	}
}

func TestResolveMACAPassesInfiniBandAndOptionalControlNodes(t *testing.T) {
	f := devicetest.NewFakeHost(t,
		devicetest.WithControl("mxcd", "mxnd", "mxgd"),
		devicetest.WithInfiniBand("rdma_cm", "uverbs0"))
	s := resolve(t, f, device.ProfileMACA, device.Options{GPUs: device.SelectGPUs(1)})
	want := []string{"mxcd", "mxnd", "mxgd", "infiniband/rdma_cm", "infiniband/uverbs0", "dri/card1", "dri/renderD128"}
	if got := mapped(t, f, s); !reflect.DeepEqual(got, want) {
		t.Errorf("devices = %v, want %v", got, want)
	}
}

func TestResolveMACAErrors(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	tests := []struct {
		name string
		host *devicetest.FakeHost
		opts device.Options
		want string
	}{
		{"bad index", f, device.Options{GPUs: device.SelectGPUs(0, 2)},
			"GPU 2 not found; found: 0 (0000:0e:00.0), 1 (0000:8a:00.0)"},
		{"no mxcd", devicetest.NewFakeHost(t, devicetest.WithControl()), device.Options{},
			"device profile maca: no MACA device under "},
		{"privileged not allowed", f, device.Options{Privileged: true},
			"allow it with --allow privileged"},
		{"selection without sysfs", devicetest.NewFakeHost(t, devicetest.WithoutSysfs()), device.Options{GPUs: device.SelectGPUs(0)},
			"cannot select GPUs 0: no metax driver in "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := device.ProfileMACA.Resolve(tt.host.Discover(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestResolveSkipsGPUWithoutNodes(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	if err := os.RemoveAll(filepath.Join(f.Sys, "devices", "pci0000:00", "0000:0e:00.0", "drm")); err != nil {
		t.Fatal(err)
	}
	s := resolve(t, f, device.ProfileMACA, device.Options{})
	if got, want := mapped(t, f, s), []string{"mxcd", "dri/card1", "dri/renderD128"}; !reflect.DeepEqual(got, want) {
		t.Errorf("devices = %v, want %v", got, want)
	}
	if want := []string{"CUDA_VISIBLE_DEVICES=0", "MACA_VISIBLE_DEVICES=0"}; !reflect.DeepEqual(s.Env, want) {
		t.Errorf("env = %q, want %q", s.Env, want)
	}
	if len(s.Warnings) != 1 {
		t.Errorf("warnings = %q, want the missing nodes reported", s.Warnings)
	}
	if _, err := device.ProfileMACA.Resolve(f.Discover(), device.Options{GPUs: device.SelectGPUs(0)}); err == nil ||
		!strings.Contains(err.Error(), "GPU 0 (0000:0e:00.0) has no DRM nodes") {
		t.Errorf("selecting it: %v", err)
	}
}

func TestResolveFallbackPassesAllDRINodes(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithoutSysfs())
	s := resolve(t, f, device.ProfileMACA, device.Options{})
	want := []string{"mxcd", "dri/card0", "dri/card1", "dri/card2", "dri/renderD128", "dri/renderD129"}
	if got := mapped(t, f, s); !reflect.DeepEqual(got, want) {
		t.Errorf("devices = %v, want %v", got, want)
	}
	// Without a GPU count there is no right value to number them with.
	if len(s.Env) != 0 {
		t.Errorf("env = %q, want none", s.Env)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "no metax driver") {
		t.Errorf("warnings = %q, want the fallback said out loud", s.Warnings)
	}
}

func TestResolveAuto(t *testing.T) {
	s := resolve(t, devicetest.NewFakeHost(t), device.ProfileAuto, device.Options{})
	if s.Profile != device.ProfileMACA || !s.HasDevices() {
		t.Errorf("auto on a MACA host = %s with devices %v, want maca", s.Profile, s.HasDevices())
	}

	f := devicetest.NewFakeHost(t, devicetest.WithControl())
	s = resolve(t, f, device.ProfileAuto, device.Options{GPUs: device.SelectGPUs(0)})
	if s.Profile != device.ProfileNone || s.HasDevices() || len(s.DockerRunArgs()) != 0 {
		t.Errorf("auto without mxcd = %+v, want an empty spec", s)
	}
	if want := "no MACA device under " + f.Dev; s.NoDeviceReason != want {
		t.Errorf("reason = %q, want %q", s.NoDeviceReason, want)
	}
}

func TestResolveNone(t *testing.T) {
	s, err := device.ProfileNone.Resolve(nil, device.Options{Privileged: true})
	if err != nil {
		t.Fatal(err)
	}
	want := device.Spec{Profile: device.ProfileNone, NoDeviceReason: "device profile is none"}
	if !reflect.DeepEqual(s, want) || len(s.DockerRunArgs()) != 0 {
		t.Errorf("none = %+v, want %+v", s, want)
	}
}

func TestResolvePrivilegedWhenAllowed(t *testing.T) {
	s := resolve(t, devicetest.NewFakeHost(t), device.ProfileMACA, device.Options{Privileged: true, AllowPrivileged: true})
	if !s.Privileged {
		t.Error("privileged not set though asked for and allowed")
	}
	s = resolve(t, devicetest.NewFakeHost(t), device.ProfileMACA, device.Options{AllowPrivileged: true})
	if s.Privileged {
		t.Error("privileged set though the recipe did not ask")
	}
}

func TestParseProfile(t *testing.T) {
	for _, p := range device.Profiles() {
		got, err := device.ParseProfile(p.String())
		if err != nil || got != p {
			t.Errorf("ParseProfile(%q) = %q, %v", p, got, err)
		}
	}
	var p device.Profile
	if err := p.Set("gpu"); err == nil || !strings.Contains(err.Error(), "want auto, maca, nvidia or none") {
		t.Errorf("Set(gpu) = %v", err)
	}
}
