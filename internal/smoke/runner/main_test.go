package runner

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// testImage is a tiny image made from the host's static busybox. It is a
// cache: built once if missing and left in place; containers never are.
const testImage = "macabox.test/busybox:smoke"

// simImage is the simulated MACA base made by scripts/testenv.sh, used by the
// device test when it exists.
const simImage = "macabox.test/maca-sim:3.0.0.5"

var (
	dockerOnce sync.Once
	dockerErr  error // Docker unreachable: tests fail
	imageErr   error // Docker there but no image: tests fail
	// testDocker is the engine the tests run on, found as macabox finds it.
	testDocker *docker.Client
)

// needDocker fails the test without a Docker engine (CI has one; -short
// skips the Docker tests for a quick local run) or when the test image
// cannot be made.
func needDocker(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Docker; skipped with -short")
	}
	dockerOnce.Do(func() {
		if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
			dockerErr = fmt.Errorf("docker info: %v: %s", err, bytes.TrimSpace(out))
			return
		}
		if testDocker, dockerErr = docker.Connect(os.Getenv); dockerErr != nil {
			return
		}
		imageErr = ensureTestImage()
	})
	if dockerErr != nil {
		t.Fatalf("Docker is not reachable (make test starts it): %v", dockerErr)
	}
	if imageErr != nil {
		t.Fatalf("making %s: %v", testImage, imageErr)
	}
}

func imageExists(ref string) bool {
	return exec.Command("docker", "image", "inspect", ref).Run() == nil
}

func ensureTestImage() error {
	if imageExists(testImage) {
		return nil
	}
	bb, err := staticBusybox()
	if err != nil {
		return err
	}
	layer, err := busyboxTar(bb)
	if err != nil {
		return err
	}
	cmd := exec.Command("docker", "import",
		"-c", "ENV PATH=/usr/local/bin:/usr/bin:/bin",
		"-c", "ENV SMOKE_IMAGE_VAR=from-image",
		"-", testImage)
	cmd.Stdin = bytes.NewReader(layer)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker import: %v: %s", err, out)
	}
	return nil
}

// staticBusybox finds a busybox that runs in an empty image: one without an
// ELF interpreter.
func staticBusybox() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := true
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				static = false
			}
		}
		f.Close()
		if static {
			return p, nil
		}
	}
	return "", errors.New("no static busybox found (apt-get install busybox-static)")
}

func busyboxTar(busybox string) ([]byte, error) {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return nil, err
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	add := func(h *tar.Header, body []byte) error {
		h.ModTime = mtime
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	for _, d := range []string{"bin/", "etc/", "usr/", "usr/bin/", "www/"} {
		if err := add(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755}, nil); err != nil {
			return nil, err
		}
	}
	if err := add(&tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}, nil); err != nil {
		return nil, err
	}
	if err := add(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}, bin); err != nil {
		return nil, err
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "busybox" {
			continue
		}
		if err := add(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}, nil); err != nil {
			return nil, err
		}
	}
	files := map[string]string{
		"etc/passwd":     "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":      "root:x:0:\n",
		"etc/os-release": "NAME=\"macabox test busybox\"\nID=busybox\n",
	}
	for _, name := range []string{"etc/group", "etc/os-release", "etc/passwd"} {
		body := []byte(files[name])
		if err := add(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}, body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// leftovers lists the containers of a run, by label, through the docker CLI:
// an outside view, independent of the code under test.
func leftovers(t testing.TB, runID string) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "-q",
		"--filter", "label="+LabelKind,
		"--filter", "label="+LabelRun+"="+runID).Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	return strings.Fields(string(out))
}

// noLeftovers fails the test if the run left a container, and removes it so
// that a failing test does not leak either.
func noLeftovers(t testing.TB, runID string) {
	t.Helper()
	if ids := leftovers(t, runID); len(ids) > 0 {
		t.Errorf("run %s left containers behind: %v", runID, ids)
		_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
	}
}

// runCases runs cases in testImage with a fresh run id and checks that
// nothing is left afterwards.
func runCases(t *testing.T, opts Options, cases ...smoke.Test) *smoke.Report {
	t.Helper()
	needDocker(t)
	if opts.Image == "" {
		opts.Image = testImage
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID()
	}
	if opts.Target == "" {
		opts.Target = "smoke-test"
	}
	opts.Tests = cases
	opts.Docker = testDocker
	var progress bytes.Buffer
	opts.Progress = &progress
	t.Cleanup(func() { noLeftovers(t, opts.RunID) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatalf("Run: %v\nprogress:\n%s", err, progress.String())
	}
	if len(rep.Results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(rep.Results), len(cases))
	}
	return rep
}

func cmdTest(name, run string, e *smoke.Expect) smoke.Test {
	return smoke.Test{Name: name, Run: run, Expect: e}
}

func exitCode(n int) *int { return &n }

func boolean(b bool) *bool { return &b }

func byName(rep *smoke.Report) map[string]smoke.Result {
	m := make(map[string]smoke.Result, len(rep.Results))
	for _, r := range rep.Results {
		m[r.Name] = r
	}
	return m
}
