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

// hostPaths lists nodes' paths relative to the fake dev root.
func hostPaths(t *testing.T, f *devicetest.FakeHost, nodes []device.Node) []string {
	t.Helper()
	var out []string
	for _, n := range nodes {
		rel, err := filepath.Rel(f.Dev, n.HostPath)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rel)
	}
	return out
}

func TestDiscoverMapsGPUsInPCIOrder(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	h := f.Discover()

	if len(h.GPUs) != 2 {
		t.Fatalf("found %d GPUs, want 2: %+v", len(h.GPUs), h.GPUs)
	}
	want := []struct {
		bdf   string
		nodes []string
	}{
		{"0000:0e:00.0", []string{"dri/card2", "dri/renderD129"}},
		{"0000:8a:00.0", []string{"dri/card1", "dri/renderD128"}},
	}
	for i, w := range want {
		g := h.GPUs[i]
		if g.Index != i || g.BDF != w.bdf {
			t.Errorf("GPU %d = index %d, BDF %s; want BDF %s", i, g.Index, g.BDF, w.bdf)
		}
		if got := hostPaths(t, f, g.Nodes); !reflect.DeepEqual(got, w.nodes) {
			t.Errorf("GPU %d nodes = %v, want %v", i, got, w.nodes)
		}
	}
	if len(h.UnmappedDRI) != 0 || len(h.Warnings) != 0 {
		t.Errorf("unmapped %v, warnings %q; want none", h.UnmappedDRI, h.Warnings)
	}
}

func TestDiscoverReadsNodeFromStat(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithControl("mxcd"))
	// Numbers beyond the old 8:8 encoding check the dev_t decoding; the node
	// is never opened.
	f.Mknod("mxgd", 511, 70000, 4242)
	h := f.Discover()

	want := []device.Node{
		{HostPath: filepath.Join(f.Dev, "mxcd"), ContainerPath: "/dev/mxcd", Type: "c", Major: 1, Minor: 3, GID: devicetest.DefaultControlGID},
		{HostPath: filepath.Join(f.Dev, "mxgd"), ContainerPath: "/dev/mxgd", Type: "c", Major: 511, Minor: 70000, GID: 4242},
	}
	if !reflect.DeepEqual(h.Control, want) {
		t.Errorf("control nodes:\n got %+v\nwant %+v", h.Control, want)
	}
}

func TestDiscoverControlNodesWhenPresent(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithControl("mxcd", "mxnd", "mxgd"))
	got := hostPaths(t, f, f.Discover().Control)
	if want := []string{"mxcd", "mxnd", "mxgd"}; !reflect.DeepEqual(got, want) {
		t.Errorf("control nodes = %v, want %v", got, want)
	}
}

func TestDiscoverLowercaseDriverName(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithDriverName("pci:metax"))
	h := f.Discover()
	if len(h.GPUs) != 2 || h.GPUs[0].BDF != "0000:0e:00.0" {
		t.Errorf("GPUs = %+v, want the two default GPUs", h.GPUs)
	}
}

func TestDiscoverOrdersBDFsNumerically(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithGPUs(
		devicetest.GPU{BDF: "10000:00:01.0", Card: 1, Render: 128},
		devicetest.GPU{BDF: "0000:ff:00.1", Card: 2, Render: 129},
		devicetest.GPU{BDF: "0000:ff:00.0", Card: 3, Render: 130},
	))
	var got []string
	for _, g := range f.Discover().GPUs {
		got = append(got, g.BDF)
	}
	if want := []string{"0000:ff:00.0", "0000:ff:00.1", "10000:00:01.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("BDF order = %v, want %v", got, want)
	}
}

func TestDiscoverFallsBackToDRIWithoutSysfs(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithoutSysfs())
	h := f.Discover()

	if len(h.GPUs) != 0 {
		t.Errorf("GPUs = %+v, want none without sysfs", h.GPUs)
	}
	want := []string{"dri/card0", "dri/card1", "dri/card2", "dri/renderD128", "dri/renderD129"}
	if got := hostPaths(t, f, h.UnmappedDRI); !reflect.DeepEqual(got, want) {
		t.Errorf("unmapped DRI = %v, want %v", got, want)
	}
	if len(h.Warnings) != 1 || !strings.Contains(h.Warnings[0], "no metax driver under "+f.Sys) {
		t.Errorf("warnings = %q, want one about the missing metax driver", h.Warnings)
	}
}

func TestDiscoverInfiniBand(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithInfiniBand("uverbs0", "rdma_cm"))
	// by-path style links and subdirectories are not nodes to pass.
	if err := os.Symlink("uverbs0", filepath.Join(f.Dev, "infiniband", "link")); err != nil {
		t.Fatal(err)
	}
	h := f.Discover()
	var got []string
	for _, n := range h.InfiniBand {
		got = append(got, n.ContainerPath)
	}
	if want := []string{"/dev/infiniband/rdma_cm", "/dev/infiniband/uverbs0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("infiniband = %v, want %v", got, want)
	}
}

func TestDiscoverErrorsNameThePath(t *testing.T) {
	t.Run("missing dev root", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nodev")
		_, err := device.Discover(device.Roots{Dev: missing, Sys: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("err = %v, want one naming %s", err, missing)
		}
	})
	t.Run("not a device node", func(t *testing.T) {
		f := devicetest.NewFakeHost(t, devicetest.WithControl())
		p := filepath.Join(f.Dev, "mxcd")
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := device.Discover(f.Roots())
		if err == nil || !strings.Contains(err.Error(), p+": not a device node") {
			t.Errorf("err = %v, want %s: not a device node", err, p)
		}
	})
	t.Run("sysfs names a missing node", func(t *testing.T) {
		f := devicetest.NewFakeHost(t)
		p := filepath.Join(f.Dev, "dri", "renderD129")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		_, err := device.Discover(f.Roots())
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "0000:0e:00.0") {
			t.Errorf("err = %v, want one naming %s and its GPU", err, p)
		}
	})
}

func TestDiscoverWarnsAboutGPUWithoutDRM(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	if err := os.RemoveAll(filepath.Join(f.Sys, "devices", "pci0000:00", "0000:8a:00.0", "drm")); err != nil {
		t.Fatal(err)
	}
	h := f.Discover()
	if len(h.GPUs) != 2 || len(h.GPUs[1].Nodes) != 0 {
		t.Fatalf("GPUs = %+v, want GPU 1 kept without nodes so indices stay put", h.GPUs)
	}
	if len(h.Warnings) != 1 || !strings.Contains(h.Warnings[0], "GPU 1 (0000:8a:00.0) has no DRM nodes") {
		t.Errorf("warnings = %q", h.Warnings)
	}
}

func TestPresent(t *testing.T) {
	if ok, reason := devicetest.NewFakeHost(t).Discover().Present(); !ok {
		t.Errorf("Present() = false, %q on a host with mxcd", reason)
	}
	f := devicetest.NewFakeHost(t, devicetest.WithControl())
	ok, reason := f.Discover().Present()
	if want := "no MACA device under " + f.Dev; ok || reason != want {
		t.Errorf("Present() = %v, %q; want false, %q", ok, reason, want)
	}
}
