package hostcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/device/devicetest"
)

func TestParseSMIHeader(t *testing.T) {
	cases := []struct {
		in   string
		want SMIHeader
	}{
		{"MX-SMI 2.2.4   Kernel Mode Driver Version: 2.15.9\nMACA Version: 2.32.0.6   BIOS Version: 1.25.1.0\n",
			SMIHeader{Tool: "2.2.4", KernelDriver: "2.15.9", MACA: "2.32.0.6"}},
		{"mx-smi  version: 2.2.8\n| MACA Version: 3.0.0.5|\nKernel Mode Driver Version: 3.4.3",
			SMIHeader{Tool: "2.2.8", KernelDriver: "3.4.3", MACA: "3.0.0.5"}},
		{"no banner here", SMIHeader{}},
	}
	for _, c := range cases {
		if got := ParseSMIHeader(c.in); got != c.want {
			t.Errorf("ParseSMIHeader(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func fakeSMI(out string, err error) func(string, ...string) (string, error) {
	return func(string, ...string) (string, error) { return out, err }
}

func TestRunOnFakeHost(t *testing.T) {
	fh := devicetest.NewFakeHost(t)
	r := Run(context.Background(), Options{
		Roots: fh.Roots(),
		Probes: Probes{
			Docker:  func(context.Context) (string, error) { return "20.10.24", nil },
			Builder: func(context.Context) (string, bool, error) { return "v0.34.2", true, nil },
		},
		RunSMI:   fakeSMI("MX-SMI 2.2.4   Kernel Mode Driver Version: 2.15.9\nMACA Version: 3.0.0.5   BIOS Version: 1.25.1.0", nil),
		DiskPath: t.TempDir(),
	})
	byName := map[string]Check{}
	for _, c := range r.Checks {
		byName[c.Name] = c
	}
	for _, name := range []string{"docker", "buildkit", "maca devices", "gpu 0", "gpu 1", "mx-smi", "device groups"} {
		if byName[name].Status != OK {
			t.Errorf("check %q = %+v, want ok", name, byName[name])
		}
	}
	// GPU 0 is the lower PCI address, which the fake host puts on card2.
	if d := byName["gpu 0"].Detail; !strings.Contains(d, "0000:0e:00.0") || !strings.Contains(d, "card2") {
		t.Errorf("gpu 0 detail = %q", d)
	}
	if r.Facts.KernelDriver != "2.15.9" || r.Facts.HostMACA != "3.0.0.5" || len(r.Facts.GPUs) != 2 {
		t.Errorf("facts = %+v", r.Facts)
	}
	want := []int{int(devicetest.DefaultControlGID), int(devicetest.DefaultRenderGID)}
	if got := r.Facts.DeviceGroups; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("device groups = %v, want %v", got, want)
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || len(back.Checks) != len(r.Checks) {
		t.Fatalf("JSON round trip: %v", err)
	}
}

func TestRunReportsEveryProblem(t *testing.T) {
	empty := t.TempDir()
	r := Run(context.Background(), Options{
		Roots: device.Roots{Dev: empty, Sys: empty},
		Probes: Probes{
			Docker: func(context.Context) (string, error) {
				return "", errors.New("dial unix /var/run/docker.sock: connect: no such file")
			},
			Builder: func(context.Context) (string, bool, error) { return "0.8", false, nil },
		},
		RunSMI:   fakeSMI("", notFoundError{errors.New("not found")}),
		DiskPath: empty,
	})
	if r.OK() {
		t.Fatal("report is ok although Docker is unreachable")
	}
	got := map[string]Status{}
	for _, c := range r.Checks {
		got[c.Name] = c.Status
		if c.Status != OK && c.Fix == "" && c.Name != "cgroup" && c.Name != "memlock" {
			t.Errorf("check %q is %s without a fix", c.Name, c.Status)
		}
	}
	want := map[string]Status{"docker": Fail, "buildkit": Warn, "maca devices": Warn, "mx-smi": Warn}
	for name, st := range want {
		if got[name] != st {
			t.Errorf("check %q = %s, want %s", name, got[name], st)
		}
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "fix: start the Docker engine") || strings.Contains(buf.String(), "\x1b[") {
		t.Errorf("text report:\n%s", buf.String())
	}
}
