package smoke

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

func caseOf(t recipe.Test) Case { return Case{Test: t, Origin: "recipes/test.yaml:1"} }

func TestRunCommands(t *testing.T) {
	rep := runCases(t, Options{},
		caseOf(cmdTest("passes", "echo hello; echo note >&2", &recipe.Expect{
			Stdout: str(`^hello$`), Stderr: str("note"), NotStderr: str("(?i)error"),
		})),
		caseOf(cmdTest("fails", "echo hello; echo oops >&2; exit 3", &recipe.Expect{Stdout: str(`^bye$`)})),
		caseOf(cmdTest("expected exit", "exit 2", &recipe.Expect{Exit: exitCode(2)})),
		caseOf(cmdTest("writes a file", "mkdir -p /tmp/out && echo '# demo' > /tmp/out/demo.md", &recipe.Expect{
			Files: []recipe.Str{str("/tmp/out/demo.md")},
		})),
		caseOf(cmdTest("misses a file", "true", &recipe.Expect{Files: []recipe.Str{str("/tmp/out/none.md")}})),
	)
	got := byName(rep)
	for name, want := range map[string]Status{
		"passes": StatusPassed, "fails": StatusFailed, "expected exit": StatusPassed,
		"writes a file": StatusPassed, "misses a file": StatusFailed,
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
	fileTest := func(name, path string, e *recipe.Expect) Case {
		return caseOf(recipe.Test{Name: str(name), File: str(path), Expect: e})
	}
	varTest := func(name, v string, e *recipe.Expect, env ...recipe.KV) Case {
		return caseOf(recipe.Test{Name: str(name), Variable: str(v), Expect: e, Env: env})
	}
	rep := runCases(t, Options{Container: ContainerConfig{Env: []string{"PROFILE_VAR=from-profile"}}},
		fileTest("busybox", "/bin/busybox", &recipe.Expect{Mode: str("0755")}),
		fileTest("os-release", "/etc/os-release", &recipe.Expect{Content: str(`^ID=busybox$`), Mode: str("0644")}),
		fileTest("wrong mode", "/etc/os-release", &recipe.Expect{Mode: str("0600")}),
		fileTest("missing", "/opt/maca/Version.txt", nil),
		fileTest("absent as wanted", "/opt/maca/Version.txt", &recipe.Expect{Exists: boolean(false)}),
		fileTest("tmp is sticky", "/tmp", &recipe.Expect{Mode: str("1777")}),
		varTest("image env", "SMOKE_IMAGE_VAR", &recipe.Expect{Value: str("^from-image$")}),
		varTest("container env", "PROFILE_VAR", &recipe.Expect{Value: str("^from-profile$")}),
		varTest("test env wins", "SMOKE_IMAGE_VAR", &recipe.Expect{Value: str("^from-test$")},
			recipe.KV{Key: str("SMOKE_IMAGE_VAR"), Value: str("from-test")}),
		varTest("unset", "MACA_PATH", nil),
	)
	got := byName(rep)
	for name, want := range map[string]Status{
		"busybox": StatusPassed, "os-release": StatusPassed, "wrong mode": StatusFailed,
		"missing": StatusFailed, "absent as wanted": StatusPassed, "tmp is sticky": StatusPassed,
		"image env": StatusPassed, "container env": StatusPassed, "test env wins": StatusPassed, "unset": StatusFailed,
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
	slow.Timeout = recipe.Duration{Value: "1s"}
	// The killed command must not linger: the next test looks for it.
	rep := runCases(t, Options{},
		caseOf(slow),
		caseOf(cmdTest("nothing left", "ps -o args | grep -v grep | grep 'sleep 30' && exit 1; exit 0", nil)),
	)
	got := rep.Results[0]
	if got.Status != StatusFailed || got.Message != "timed out after 1s" {
		t.Fatalf("slow: %s %q\n%s", got.Status, got.Message, got.Explain())
	}
	if !strings.Contains(got.Stdout.Text, "before") || strings.Contains(got.Stdout.Text, "after") {
		t.Errorf("stdout of the killed command = %q", got.Stdout.Text)
	}
	if got.Duration > 30*time.Second {
		t.Errorf("timed out test took %s", got.Duration)
	}
	if rep.Results[1].Status != StatusPassed {
		t.Errorf("the killed command is still running:\n%s", rep.Results[1].Explain())
	}
}

func TestRunDeviceGate(t *testing.T) {
	dev := recipe.Test{Name: str("device visible"), Run: str("ls /dev/dri"), Needs: []recipe.Str{str("device")}}
	plain := cmdTest("plain", "true", nil)

	rep := runCases(t, Options{NoDeviceReason: "no MACA device under /dev"}, caseOf(dev), caseOf(plain))
	if r := rep.Results[0]; r.Status != StatusSkipped || r.Message != "no MACA device under /dev" {
		t.Errorf("without a device: %s %q", r.Status, r.Message)
	}
	if !rep.OK() {
		t.Error("a skipped device test failed the run")
	}

	rep = runCases(t, Options{NoDeviceReason: "no MACA device under /dev", RequireDevice: true}, caseOf(dev), caseOf(plain))
	if r := rep.Results[0]; r.Status != StatusFailed || !strings.Contains(r.Message, "no MACA device under /dev") {
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
		Image: testImage, Target: "keep", RunID: runID, Keep: true,
		Cases: []Case{caseOf(cmdTest("ok", "true", nil))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Container == "" || len(leftovers(t, runID)) != 1 {
		t.Fatalf("kept container %q, found %v", rep.Container, leftovers(t, runID))
	}
	// This process still runs, so a cleanup of everything leaves the run be;
	// naming the run removes it.
	all, err := Cleanup(context.Background(), "")
	if err != nil || slices.Contains(all.Removed, rep.Container) || len(leftovers(t, runID)) != 1 {
		t.Fatalf("Cleanup of all = %+v, %v", all, err)
	}
	if !slices.ContainsFunc(all.Kept, func(k string) bool { return strings.HasPrefix(k, rep.Container+" (its run is in progress") }) {
		t.Errorf("Cleanup of all kept %v", all.Kept)
	}
	res, err := Cleanup(context.Background(), runID)
	if err != nil || len(res.Removed) != 1 || res.Removed[0] != rep.Container {
		t.Fatalf("Cleanup = %+v, %v", res, err)
	}
}

func TestRunImageMissing(t *testing.T) {
	needDocker(t)
	_, err := Run(context.Background(), Options{Image: "macabox.test/does-not-exist:0", Cases: []Case{caseOf(cmdTest("x", "true", nil))}})
	if !errors.Is(err, ErrImageNotFound) {
		t.Fatalf("err = %v, want ErrImageNotFound", err)
	}
}

func TestRunMemlockRefused(t *testing.T) {
	needDocker(t)
	runID := NewRunID()
	t.Cleanup(func() { noLeftovers(t, runID) })
	_, err := Run(context.Background(), Options{
		Image: testImage, RunID: runID,
		Container: ContainerConfig{Ulimits: []Ulimit{{Name: "memlock", Soft: -1, Hard: -1}}},
		Cases:     []Case{caseOf(cmdTest("x", "true", nil))},
	})
	if err == nil {
		t.Skip("this host lets containers lock unlimited memory")
	}
	var refused *UlimitRefusedError
	if !errors.As(err, &refused) || refused.Name != "memlock" {
		t.Fatalf("err = %v, want an UlimitRefusedError for memlock", err)
	}
	for _, want := range []string{"the host refused ulimit memlock=-1:-1", "Max locked memory", "LimitMEMLOCK"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
