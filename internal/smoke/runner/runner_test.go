package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

func caseOf(t smoke.Test) smoke.Test { t.Origin = "recipes/test.yaml:1"; return t }

func TestRunCommands(t *testing.T) {
	rep := runCases(t, Options{},
		caseOf(cmdTest("passes", "echo hello; echo note >&2", &smoke.Expect{
			Stdout: `^hello$`, Stderr: "note", NotStderr: "(?i)error",
		})),
		caseOf(cmdTest("fails", "echo hello; echo oops >&2; exit 3", &smoke.Expect{Stdout: `^bye$`})),
		caseOf(cmdTest("expected exit", "exit 2", &smoke.Expect{Exit: exitCode(2)})),
		caseOf(cmdTest("writes a file", "mkdir -p /tmp/out && echo '# demo' > /tmp/out/demo.md", &smoke.Expect{
			Files: []string{"/tmp/out/demo.md"},
		})),
		caseOf(cmdTest("misses a file", "true", &smoke.Expect{Files: []string{"/tmp/out/none.md"}})),
	)
	got := byName(rep)
	for name, want := range map[string]smoke.Status{
		"passes": smoke.StatusPassed, "fails": smoke.StatusFailed, "expected exit": smoke.StatusPassed,
		"writes a file": smoke.StatusPassed, "misses a file": smoke.StatusFailed,
	} {
		if got[name].Status != want {
			t.Errorf("%s: %s, want %s\n%s", name, got[name].Status, want, got[name].Explain())
		}
	}
	explained := got["fails"].Explain()
	for _, want := range []string{
		"command:  echo hello; echo oops >&2; exit 3",
		"expected: exit code 0",
		"stdout matches /^bye$/",
		"actual:   exit code 3, expected 0",
		"stdout does not match /^bye$/",
		"  | hello", "  | oops",
		"defined:  recipes/test.yaml:1",
	} {
		if !strings.Contains(explained, want) {
			t.Errorf("explanation lacks %q:\n%s", want, explained)
		}
	}
	if rep.OK() {
		t.Error("a run with a failed test is OK")
	}
}

func TestRunFilesAndVariables(t *testing.T) {
	fileTest := func(name, path string, e *smoke.Expect) smoke.Test {
		return caseOf(smoke.Test{Name: name, File: path, Expect: e})
	}
	varTest := func(name, v string, e *smoke.Expect, env ...smoke.EnvVar) smoke.Test {
		return caseOf(smoke.Test{Name: name, Variable: v, Expect: e, Env: env})
	}
	rep := runCases(t, Options{Container: docker.ContainerSpec{Env: []string{"PROFILE_VAR=from-profile"}}},
		fileTest("busybox", "/bin/busybox", &smoke.Expect{Mode: "0755"}),
		fileTest("os-release", "/etc/os-release", &smoke.Expect{Content: `^ID=busybox$`, Mode: "0644"}),
		fileTest("wrong mode", "/etc/os-release", &smoke.Expect{Mode: "0600"}),
		fileTest("missing", "/opt/maca/Version.txt", nil),
		fileTest("absent as wanted", "/opt/maca/Version.txt", &smoke.Expect{Exists: boolean(false)}),
		fileTest("tmp is sticky", "/tmp", &smoke.Expect{Mode: "1777"}),
		varTest("image env", "SMOKE_IMAGE_VAR", &smoke.Expect{Value: "^from-image$"}),
		varTest("container env", "PROFILE_VAR", &smoke.Expect{Value: "^from-profile$"}),
		varTest("test env wins", "SMOKE_IMAGE_VAR", &smoke.Expect{Value: "^from-test$"},
			smoke.EnvVar{Name: "SMOKE_IMAGE_VAR", Value: "from-test"}),
		varTest("unset", "MACA_PATH", nil),
	)
	got := byName(rep)
	for name, want := range map[string]smoke.Status{
		"busybox": smoke.StatusPassed, "os-release": smoke.StatusPassed, "wrong mode": smoke.StatusFailed,
		"missing": smoke.StatusFailed, "absent as wanted": smoke.StatusPassed, "tmp is sticky": smoke.StatusPassed,
		"image env": smoke.StatusPassed, "container env": smoke.StatusPassed, "test env wins": smoke.StatusPassed, "unset": smoke.StatusFailed,
	} {
		if got[name].Status != want {
			t.Errorf("%s: %s, want %s\n%s", name, got[name].Status, want, got[name].Explain())
		}
	}
	if msg := got["wrong mode"].Message; msg != "/etc/os-release has mode 0644, expected 0600" {
		t.Errorf("wrong mode message = %q", msg)
	}
}

func TestRunTimeout(t *testing.T) {
	slow := cmdTest("slow", "echo before; sleep 30; echo after", nil)
	slow.Timeout = "1s"
	// The killed command must not linger: the next test looks for it.
	rep := runCases(t, Options{},
		caseOf(slow),
		caseOf(cmdTest("nothing left", "ps -o args | grep -v grep | grep 'sleep 30' && exit 1; exit 0", nil)),
	)
	got := rep.Results[0]
	if got.Status != smoke.StatusFailed || got.Message != "timed out after 1s" {
		t.Fatalf("slow: %s %q\n%s", got.Status, got.Message, got.Explain())
	}
	if !strings.Contains(got.Stdout.Text, "before") || strings.Contains(got.Stdout.Text, "after") {
		t.Errorf("stdout of the killed command = %q", got.Stdout.Text)
	}
	if got.Duration > 30*time.Second {
		t.Errorf("timed out test took %s", got.Duration)
	}
	if rep.Results[1].Status != smoke.StatusPassed {
		t.Errorf("the killed command is still running:\n%s", rep.Results[1].Explain())
	}
}

func TestRunDeviceGate(t *testing.T) {
	dev := smoke.Test{Name: "device visible", Run: "ls /dev/dri", Needs: []string{"device"}}
	plain := cmdTest("plain", "true", nil)

	rep := runCases(t, Options{NoDeviceReason: "no MACA device under /dev"}, caseOf(dev), caseOf(plain))
	if r := rep.Results[0]; r.Status != smoke.StatusSkipped || r.Message != "no MACA device under /dev" {
		t.Errorf("without a device: %s %q", r.Status, r.Message)
	}
	if !rep.OK() {
		t.Error("a skipped device test failed the run")
	}

	rep = runCases(t, Options{NoDeviceReason: "no MACA device under /dev", RequireDevice: true}, caseOf(dev), caseOf(plain))
	if r := rep.Results[0]; r.Status != smoke.StatusFailed || !strings.Contains(r.Message, "no MACA device under /dev") {
		t.Errorf("with devices required: %s %q", r.Status, r.Message)
	}
	if rep.OK() {
		t.Error("a required device test that could not run left the run OK")
	}
}

func TestRunKeep(t *testing.T) {
	needDocker(t)
	runID := NewRunID()
	t.Cleanup(func() { noLeftovers(t, runID) })
	rep, err := Run(context.Background(), Options{
		Docker: testDocker, Image: testImage, Target: "keep", RunID: runID, Keep: true,
		Tests: []smoke.Test{caseOf(cmdTest("ok", "true", nil))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Container == "" || len(leftovers(t, runID)) != 1 {
		t.Fatalf("kept container %q, found %v", rep.Container, leftovers(t, runID))
	}
	// This process still runs, so a cleanup of everything leaves the run be;
	// naming the run removes it.
	all, err := Cleanup(context.Background(), testDocker, "")
	if err != nil || slices.Contains(all.Removed, rep.Container) || len(leftovers(t, runID)) != 1 {
		t.Fatalf("Cleanup of all = %+v, %v", all, err)
	}
	if !slices.ContainsFunc(all.Kept, func(k string) bool { return strings.HasPrefix(k, rep.Container+" (its run is in progress") }) {
		t.Errorf("Cleanup of all kept %v", all.Kept)
	}
	res, err := Cleanup(context.Background(), testDocker, runID)
	if err != nil || len(res.Removed) != 1 || res.Removed[0] != rep.Container {
		t.Fatalf("Cleanup = %+v, %v", res, err)
	}
}

func TestRunImageMissing(t *testing.T) {
	needDocker(t)
	_, err := Run(context.Background(), Options{Docker: testDocker, Image: "macabox.test/does-not-exist:0", Tests: []smoke.Test{caseOf(cmdTest("x", "true", nil))}})
	if !errors.Is(err, ErrImageNotFound) {
		t.Fatalf("err = %v, want ErrImageNotFound", err)
	}
}

func TestRunMemlockRefused(t *testing.T) {
	needDocker(t)
	runID := NewRunID()
	t.Cleanup(func() { noLeftovers(t, runID) })
	_, err := Run(context.Background(), Options{
		Docker: testDocker, Image: testImage, RunID: runID,
		Container: docker.ContainerSpec{Ulimits: []docker.Ulimit{{Name: "memlock", Soft: -1, Hard: -1}}},
		Tests:     []smoke.Test{caseOf(cmdTest("x", "true", nil))},
	})
	if err == nil {
		t.Skip("this host lets containers lock unlimited memory")
	}
	// The runner reports what Docker said; the device profile, which asked
	// for the limit, explains it.
	err = device.ExplainRunError(err, device.Spec{Ulimits: []device.Ulimit{{Name: "memlock", Soft: -1, Hard: -1}}})
	var refused *device.UlimitRefusedError
	if !errors.As(err, &refused) || refused.Name != "memlock" {
		t.Fatalf("err = %v, want an UlimitRefusedError for memlock", err)
	}
	for _, want := range []string{"the host refused memlock=unlimited", "Max locked memory", "LimitMEMLOCK"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
