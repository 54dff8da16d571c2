package cli

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/device/devicetest"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// simTree is a recipe tree whose one Image is the simulated MACA base that
// the test world loads into Docker, with tests that pass, fail, wait for a
// service and need a device.
func simTree(t *testing.T, env testenv.Env, extraSmoke string) string {
	return writeTree(t, map[string]string{"images/sim.yaml": `apiVersion: macabox/v1
kind: Image
name: sim
from: ` + env.MacaSimRef + `
simulated: true
maca: {version: 3.0.0.5}
smoke:
  - name: version file
    file: /opt/maca/Version.txt
    expect: {content: '^Version:3\.0\.0\.5'}
  - name: service answers
    service:
      run: python3 -m http.server 8123 --bind 127.0.0.1
      ready: {http: "http://127.0.0.1:8123/"}
      timeout: 30s
    probe: python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:8123/").status)'
    expect: {stdout: '^200'}
  - name: gpus listed
    needs: [device]
    run: mx-smi -L
    expect: {stdout: 'Available'}
` + extraSmoke})
}

func TestRunPrintPastedIntoAShell(t *testing.T) {
	env := testenv.RequireDocker(t)
	fh := devicetest.NewFakeHost(t)
	code, line, stderr := run(t, "run", env.MacaSimRef, "--print", "--gpus", "1",
		"--dev-root", fh.Dev, "--sys-root", fh.Sys, "--", "sh", "-c", `echo "it's $((6*7))"; mx-smi -L`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out, err := exec.Command("bash", "-c", strings.TrimSpace(line)).CombinedOutput()
	if err != nil {
		t.Fatalf("%s\n%v\n%s", line, err, out)
	}
	// GPU 1 is 0000:8a:00.0, card1/renderD128 on the fake host: the
	// container must see that render node and no other.
	got := string(out)
	if !strings.Contains(got, "it's 42") || !strings.Contains(got, "renderD128") || strings.Contains(got, "renderD129") {
		t.Errorf("pasted line:\n%s\noutput:\n%s", line, got)
	}
	if n := strings.Count(got, "Available"); n != 1 {
		t.Errorf("mx-smi lists %d GPUs, want 1:\n%s", n, got)
	}
}

func TestTestReportsSkipsFailuresAndServices(t *testing.T) {
	env := testenv.RequireDocker(t)
	dir := simTree(t, env, `  - name: wrong version
    run: cat /opt/maca/Version.txt
    expect: {stdout: 'Version:9\.9'}
`)
	md := filepath.Join(t.TempDir(), "report.md")
	code, stdout, stderr := run(t, "test", "sim", "--root", dir, "--image", env.MacaSimRef,
		"--device", "none", "--report", "md="+md, "--report", "text=-")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	report, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"wrong version", "cat /opt/maca/Version.txt", `Version:9\.9`, "Version:3.0.0.5", "| service answers |", "skip"} {
		if !strings.Contains(string(report)+stdout, want) {
			t.Errorf("reports lack %q:\n%s\n%s", want, report, stdout)
		}
	}
	assertNoContainers(t)

	// Without the failing test, the same run passes: skipped device tests
	// do not fail it, unless a device is required.
	dir = simTree(t, env, "")
	if code, out, errs := run(t, "test", "sim", "--root", dir, "--image", env.MacaSimRef, "--device", "none"); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := run(t, "test", "sim", "--root", dir, "--image", env.MacaSimRef, "--device", "none", "--require-device"); code != 1 {
		t.Errorf("--require-device without a device: exit %d, want 1", code)
	}
	fh := devicetest.NewFakeHost(t)
	if code, out, errs := run(t, "test", "sim", "--root", dir, "--image", env.MacaSimRef, "--device", "maca",
		"--dev-root", fh.Dev, "--sys-root", fh.Sys, "--require-device"); code != 0 {
		t.Errorf("with fake devices: exit %d\n%s\n%s", code, out, errs)
	}
	assertNoContainers(t)
}

// TestInterruptedTestLeavesNothing runs the real binary, interrupts it in the
// middle of a test, and checks that no container survives.
func TestInterruptedTestLeavesNothing(t *testing.T) {
	env := testenv.RequireDocker(t)
	bin := filepath.Join(t.TempDir(), "macabox")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/macabox").CombinedOutput(); err != nil {
		t.Fatalf("building macabox: %v\n%s", err, out)
	}
	dir := simTree(t, env, `  - name: slow
    run: echo started-slow; sleep 120
    timeout: 5m
`)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "test", "sim", "--root", dir, "--image", env.MacaSimRef, "--device", "none")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "slow") {
					break
				}
			}
			time.Sleep(500 * time.Millisecond)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			go func() {
				for sc.Scan() {
				}
			}()
			err = cmd.Wait()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
				t.Errorf("interrupted run: %v, want a non-zero exit", err)
			}
			assertNoContainers(t)
		})
	}
}

func assertNoContainers(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=org.ccf-ai-infra.macabox.target=sim").Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
		t.Errorf("containers left behind: %v", ids)
	}
}

func TestTestMountsAHostDirectory(t *testing.T) {
	env := testenv.RequireDocker(t)
	models := t.TempDir()
	if err := os.WriteFile(filepath.Join(models, "weights.txt"), []byte("tiny model\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string]string{"images/sim.yaml": `apiVersion: macabox/v1
kind: Image
name: sim
from: ` + env.MacaSimRef + `
simulated: true
smoke:
  - name: model mounted read-only
    run: cat /models/weights.txt && ! touch /models/other
    expect: {stdout: '^tiny model$'}
`})
	base := []string{"test", "sim", "--root", dir, "--image", env.MacaSimRef, "--device", "none"}
	if code, out, errs := run(t, append(base, "--mount", models+":/models:ro")...); code != 0 {
		t.Errorf("with --mount: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := run(t, base...); code != 1 {
		t.Errorf("without --mount: exit %d, want 1", code)
	}
	assertNoContainers(t)
}

// TestTestOnNVIDIAWithoutItsRuntime: the test world's Docker has no NVIDIA
// container toolkit, so --device nvidia cannot work here; test says so,
// names what to install, exits 2 and leaves no container.
func TestTestOnNVIDIAWithoutItsRuntime(t *testing.T) {
	env := testenv.RequireDocker(t)
	dir := writeTree(t, map[string]string{"images/ref.yaml": `apiVersion: macabox/v1
kind: Image
name: nvidia-ref
from: ` + env.DebianRef + `
smoke:
  - {name: cuda visible, needs: [device], run: nvidia-smi -L}
`})
	code, stdout, stderr := run(t, "test", "nvidia-ref", "--root", dir, "--image", env.DebianRef,
		"--device", "nvidia", "--cdi-spec-dir", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "install the NVIDIA Container Toolkit") ||
		!strings.Contains(stderr, "nvidia profile: all GPUs (gpu capability)") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=org.ccf-ai-infra.macabox.target=nvidia-ref").Output()
	if err != nil {
		t.Fatal(err)
	}
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
		t.Errorf("containers left behind: %v", ids)
	}
}
