package testenv

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The simulated mx-smi is what device smoke tests talk to in maca-sim; these
// run it against a fake /dev, outside any container.
const mxSmi = "../../scripts/fixtures/maca-sim/mx-smi"

func runMxSmi(t *testing.T, devRoot string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{mxSmi}, args...)...)
	cmd.Env = append(os.Environ(), "MX_SMI_SIM_DEV_ROOT="+devRoot)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("running mx-smi: %v", err)
	}
	return out.String(), errb.String(), code
}

func fakeDev(t *testing.T, nodes ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, n := range nodes {
		p := filepath.Join(root, "dev", n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

var gpuLine = regexp.MustCompile(`(?m)^GPU#\d+ .*$`)

func TestMxSmiListsExactlyTheVisibleRenderNodes(t *testing.T) {
	root := fakeDev(t, "mxcd", "dri/card0", "dri/card1", "dri/renderD129", "dri/renderD128")
	out, errOut, code := runMxSmi(t, root, "-L")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errOut)
	}
	got := gpuLine.FindAllString(out, -1)
	want := []string{
		"GPU#0    MXC500 (simulated)  renderD128  Available",
		"GPU#1    MXC500 (simulated)  renderD129  Available",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("GPU lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The header must match the patterns version probes use on the real tool
	// (maca-facts §3.4), and say it is a simulation.
	for _, re := range []string{
		`Kernel\s+Mode\s+Driver\s+Version:\s*[0-9.]+`,
		`MACA\s+Version:\s*[^\s|]+`,
		`BIOS Version:\s*[^\s]+`,
		`MX-SMI 2\.2\.4 \(simulated\)`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", re, out)
		}
	}
}

func TestMxSmiFailsWithoutTheControlDevice(t *testing.T) {
	root := fakeDev(t, "dri/renderD128")
	out, errOut, code := runMxSmi(t, root, "-L")
	if code == 0 {
		t.Fatalf("exit 0 without /dev/mxcd; stdout:\n%s", out)
	}
	if !strings.Contains(errOut, "/dev/mxcd not found") {
		t.Errorf("stderr does not explain the missing /dev/mxcd: %q", errOut)
	}
	if gpuLine.MatchString(out) {
		t.Errorf("listed a GPU without /dev/mxcd:\n%s", out)
	}
}

func TestMxSmiFailsWithoutRenderNodes(t *testing.T) {
	_, errOut, code := runMxSmi(t, fakeDev(t, "mxcd"), "-L")
	if code == 0 || !strings.Contains(errOut, "renderD") {
		t.Errorf("exit %d, stderr %q; want a failure naming the render nodes", code, errOut)
	}
}

func TestMxSmiVersionAndUsage(t *testing.T) {
	out, _, code := runMxSmi(t, fakeDev(t), "--version")
	if code != 0 || !strings.HasPrefix(out, "mx-smi  version: 2.2.4 (simulated)") {
		t.Errorf("--version: exit %d, output %q", code, out)
	}
	if _, _, code := runMxSmi(t, fakeDev(t), "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}
