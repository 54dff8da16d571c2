package smoke

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPlatformScript runs the probe against stand-ins of nvidia-smi and
// mx-smi that print what the real tools print.
func TestPlatformScript(t *testing.T) {
	bin := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("nvidia-smi", `printf 'NVIDIA A100-SXM4-80GB, 535.104.05\nNVIDIA A100-SXM4-80GB, 535.104.05\n'`)
	probe := func() ([]byte, error) {
		cmd := exec.Command("/bin/sh", "-c", PlatformScript)
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
		return cmd.Output()
	}
	out, err := probe()
	if err != nil {
		t.Fatal(err)
	}
	p := ParsePlatform(string(out))
	if p.Accelerator != "NVIDIA A100-SXM4-80GB" || p.Driver != "535.104.05" || p.GPUs != 2 || p.Arch == "" {
		t.Errorf("%+v from\n%s", p, out)
	}

	os.Remove(filepath.Join(bin, "nvidia-smi"))
	write("mx-smi", `case $1 in
-L) printf 'mx-smi  version: 2.2.4\nGPU#0    MXC500      0000:0e:00.0   Available\n' ;;
*) printf 'MX-SMI 2.2.4   Kernel Mode Driver Version: 2.12.13\nMACA Version: 3.0.0.5\n' ;;
esac`)
	out, err = probe()
	if err != nil {
		t.Fatal(err)
	}
	p = ParsePlatform(string(out))
	if p.Accelerator != "MXC500" || p.Driver != "2.12.13" || p.GPUs != 1 {
		t.Errorf("%+v from\n%s", p, out)
	}
	if s := p.String(); s == "" || s[:6] != "MXC500" {
		t.Errorf("String() = %q", s)
	}
}
