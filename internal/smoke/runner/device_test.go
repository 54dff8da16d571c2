package runner

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// fakeGID owns the fake device nodes, as "video" owns real ones; a number
// the test image has no group for.
const fakeGID = 4242

// fakeDevices makes a fake MACA device tree: /dev/mxcd and three render
// nodes, all char 1:3 (like /dev/null) so opening them is harmless.
func fakeDevices(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "dri"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"mxcd", "dri/renderD128", "dri/renderD129", "dri/renderD130"} {
		p := filepath.Join(root, n)
		if err := unix.Mknod(p, unix.S_IFCHR|0o660, int(unix.Mkdev(1, 3))); err != nil {
			t.Skipf("cannot make device nodes here (mknod needs root): %v", err)
		}
		if err := os.Chown(p, 0, fakeGID); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o660); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// deviceConfig passes mxcd and two of the three render nodes, as a profile
// selecting two GPUs would.
func deviceConfig(root string) docker.ContainerSpec {
	return docker.ContainerSpec{
		Devices: []docker.Device{
			{HostPath: filepath.Join(root, "mxcd"), ContainerPath: "/dev/mxcd"},
			{HostPath: filepath.Join(root, "dri/renderD128"), ContainerPath: "/dev/dri/renderD128", Permissions: "rw"},
			{HostPath: filepath.Join(root, "dri/renderD130"), ContainerPath: "/dev/dri/renderD130", Permissions: "rw"},
		},
		GroupAdd:    []string{"4242"},
		SecurityOpt: []string{"seccomp=unconfined"},
		ShmSize:     64 << 20,
		Ulimits:     []docker.Ulimit{{Name: "memlock", Soft: 8 << 20, Hard: 8 << 20}},
		Env:         []string{"CUDA_VISIBLE_DEVICES=0,1", "MACA_VISIBLE_DEVICES=0,1"},
	}
}

func deviceTest(name, run string, e *smoke.Expect) smoke.Test {
	t := cmdTest(name, run, e)
	t.Needs = []string{"device"}
	return caseOf(t)
}

func TestDevicePassthrough(t *testing.T) {
	root := fakeDevices(t)
	rep := runCases(t, Options{HasDevice: true, Container: deviceConfig(root)},
		deviceTest("render nodes", "ls /dev/dri", &smoke.Expect{
			Stdout: `^renderD128$`, NotStdout: `renderD129`,
		}),
		deviceTest("second node", "ls /dev/dri", &smoke.Expect{Stdout: `^renderD130$`}),
		caseOf(smoke.Test{Name: "control node", File: "/dev/mxcd", Expect: &smoke.Expect{Mode: "0660"}}),
		deviceTest("node group", "stat -c %g /dev/mxcd", &smoke.Expect{Stdout: `^4242$`}),
		deviceTest("group added", "id -G", &smoke.Expect{Stdout: `\b4242\b`}),
		deviceTest("usable", "echo x > /dev/mxcd && cat /dev/dri/renderD128", nil),
		deviceTest("shm size", "df -k /dev/shm", &smoke.Expect{Stdout: `\b65536\b`}),
		deviceTest("memlock", "ulimit -l", &smoke.Expect{Stdout: `^8192$`}),
		caseOf(smoke.Test{Name: "visible devices", Variable: "MACA_VISIBLE_DEVICES", Expect: &smoke.Expect{Value: `^0,1$`}}),
	)
	for _, r := range rep.Results {
		if r.Status != smoke.StatusPassed {
			t.Errorf("%s: %s\n%s", r.Name, r.Status, r.Explain())
		}
	}
}

// TestDevicePassthroughMACASim runs the simulated mx-smi of the maca-sim base
// (scripts/testenv.sh builds it): it must list exactly the passed GPUs.
func TestDevicePassthroughMACASim(t *testing.T) {
	needDocker(t)
	if !imageExists(simImage) {
		t.Fatalf("%s is not in Docker (scripts/testenv.sh up builds and loads it)", simImage)
	}
	root := fakeDevices(t)
	rep := runCases(t, Options{Image: simImage, HasDevice: true, Container: deviceConfig(root)},
		deviceTest("mx-smi lists the passed GPUs", "mx-smi -L", &smoke.Expect{
			Stdout:    `^GPU#0 .* renderD128 +Available\nGPU#1 .* renderD130 +Available$`,
			NotStdout: `renderD129|GPU#2`,
		}),
		caseOf(smoke.Test{Name: "maca version", File: "/opt/maca/Version.txt", Expect: &smoke.Expect{Content: `^Version:3\.0\.0\.5$`}}),
	)
	for _, r := range rep.Results {
		if r.Status != smoke.StatusPassed {
			t.Errorf("%s: %s\n%s", r.Name, r.Status, r.Explain())
		}
	}
}
