package device_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	oci "github.com/opencontainers/runtime-spec/specs-go"
	"tags.cncf.io/container-device-interface/pkg/cdi"
	specs "tags.cncf.io/container-device-interface/specs-go"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/device/devicetest"
)

func generateCDI(t *testing.T, f *devicetest.FakeHost) *specs.Spec {
	t.Helper()
	spec, err := device.GenerateCDI(f.Discover())
	if err != nil {
		t.Fatalf("GenerateCDI: %v", err)
	}
	return spec
}

func nodePaths(nodes []*specs.DeviceNode) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Path)
	}
	return out
}

func TestGenerateCDI(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithControl("mxcd", "mxgd"))
	spec := generateCDI(t, f)

	// additionalGids need 0.7.0; nothing used needs more.
	if spec.Version != "0.7.0" || spec.Kind != "metax-tech.com/gpu" {
		t.Errorf("version %q, kind %q", spec.Version, spec.Kind)
	}
	common := spec.ContainerEdits
	if got := nodePaths(common.DeviceNodes); !reflect.DeepEqual(got, []string{"/dev/mxcd", "/dev/mxgd"}) {
		t.Errorf("common nodes = %v", got)
	}
	if common.DeviceNodes[0].HostPath != filepath.Join(f.Dev, "mxcd") {
		t.Errorf("mxcd host path = %q", common.DeviceNodes[0].HostPath)
	}
	if !reflect.DeepEqual(common.AdditionalGIDs, []uint32{devicetest.DefaultControlGID}) || len(common.Env) != 0 {
		t.Errorf("common gids %v, env %q", common.AdditionalGIDs, common.Env)
	}

	want := map[string][]string{
		"0":            {"/dev/dri/card2", "/dev/dri/renderD129"},
		"0000:0e:00.0": {"/dev/dri/card2", "/dev/dri/renderD129"},
		"1":            {"/dev/dri/card1", "/dev/dri/renderD128"},
		"0000:8a:00.0": {"/dev/dri/card1", "/dev/dri/renderD128"},
		"all":          {"/dev/dri/card2", "/dev/dri/renderD129", "/dev/dri/card1", "/dev/dri/renderD128"},
	}
	var names []string
	for _, d := range spec.Devices {
		names = append(names, d.Name)
		if got := nodePaths(d.ContainerEdits.DeviceNodes); !reflect.DeepEqual(got, want[d.Name]) {
			t.Errorf("device %s nodes = %v, want %v", d.Name, got, want[d.Name])
		}
		// The card nodes share the control nodes' group, added spec-wide.
		if !reflect.DeepEqual(d.ContainerEdits.AdditionalGIDs, []uint32{devicetest.DefaultRenderGID}) {
			t.Errorf("device %s gids = %v", d.Name, d.ContainerEdits.AdditionalGIDs)
		}
	}
	if wantNames := []string{"0", "0000:0e:00.0", "1", "0000:8a:00.0", "all"}; !reflect.DeepEqual(names, wantNames) {
		t.Errorf("device names = %v, want %v", names, wantNames)
	}
}

func TestGenerateCDIReadsBackThroughTheLibrary(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	var buf bytes.Buffer
	if err := device.WriteCDI(&buf, generateCDI(t, f)); err != nil {
		t.Fatal(err)
	}
	// ReadSpec runs the library's full validation.
	for _, ext := range []string{".json", ".yaml"} {
		p := filepath.Join(t.TempDir(), "metax"+ext)
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		spec, err := cdi.ReadSpec(p, 0)
		if err != nil {
			t.Fatalf("reading back %s: %v\n%s", ext, err, buf.String())
		}
		if spec.GetDevice("0000:0e:00.0") == nil || spec.GetVendor() != "metax-tech.com" || spec.GetClass() != "gpu" {
			t.Errorf("spec read back as vendor %q class %q", spec.GetVendor(), spec.GetClass())
		}
	}
}

func TestInstallCDIInjectsDevices(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	dir := t.TempDir()
	path, err := device.InstallCDI(dir, generateCDI(t, f))
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "metax-tech.com-gpu.yaml") {
		t.Errorf("installed at %s", path)
	}

	cache, err := cdi.NewCache(cdi.WithSpecDirs(dir), cdi.WithAutoRefresh(false))
	if err != nil {
		t.Fatal(err)
	}
	if errs := cache.GetErrors(); len(errs) != 0 {
		t.Fatalf("cache errors: %v", errs)
	}
	container := &oci.Spec{Process: &oci.Process{}, Linux: &oci.Linux{}}
	if _, err := cache.InjectDevices(container, "metax-tech.com/gpu=1"); err != nil {
		t.Fatalf("injecting GPU 1: %v", err)
	}
	var got []string
	for _, d := range container.Linux.Devices {
		got = append(got, d.Path)
		// The runtime filled the numbers in from the fake node.
		if d.Type != "c" || d.Major != 1 || d.Minor != 3 {
			t.Errorf("device %s = %s %d:%d, want c 1:3", d.Path, d.Type, d.Major, d.Minor)
		}
	}
	if want := []string{"/dev/mxcd", "/dev/dri/card1", "/dev/dri/renderD128"}; !reflect.DeepEqual(got, want) {
		t.Errorf("injected %v, want %v", got, want)
	}
	wantGIDs := []uint32{devicetest.DefaultControlGID, devicetest.DefaultRenderGID}
	if gids := container.Process.User.AdditionalGids; !reflect.DeepEqual(gids, wantGIDs) {
		t.Errorf("additional gids = %v, want %v", gids, wantGIDs)
	}
}

func TestGenerateCDIWithoutSysfsOffersOnlyAll(t *testing.T) {
	spec := generateCDI(t, devicetest.NewFakeHost(t, devicetest.WithoutSysfs()))
	if len(spec.Devices) != 1 || spec.Devices[0].Name != "all" || len(spec.Devices[0].ContainerEdits.DeviceNodes) != 5 {
		t.Errorf("devices = %+v, want just all with the 5 DRI nodes", spec.Devices)
	}
}

func TestGenerateCDILeavesOutGPUWithoutNodes(t *testing.T) {
	f := devicetest.NewFakeHost(t)
	if err := os.RemoveAll(filepath.Join(f.Sys, "devices", "pci0000:00", "0000:8a:00.0", "drm")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := device.WriteCDI(&buf, generateCDI(t, f)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "metax.json")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := cdi.ReadSpec(p, 0)
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if spec.GetDevice("0") == nil || spec.GetDevice("1") != nil || spec.GetDevice("all") == nil {
		t.Errorf("devices: want 0 and all, not 1:\n%s", buf.String())
	}
}

func TestGenerateCDIErrors(t *testing.T) {
	f := devicetest.NewFakeHost(t, devicetest.WithControl())
	if _, err := device.GenerateCDI(f.Discover()); err == nil || !strings.Contains(err.Error(), "no MACA device under "+f.Dev) {
		t.Errorf("without mxcd: %v", err)
	}
	f = devicetest.NewFakeHost(t, devicetest.WithGPUs(), devicetest.WithoutVGA())
	if _, err := device.GenerateCDI(f.Discover()); err == nil || !strings.Contains(err.Error(), "no MetaX GPUs") {
		t.Errorf("without GPUs: %v", err)
	}
}
