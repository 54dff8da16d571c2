package device

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// nvidiaSpec is a CDI spec as nvidia-ctk cdi generate writes one, for two
// GPUs; the nodes need not exist for the spec to be read.
const nvidiaSpec = `cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits:
      deviceNodes: [{path: /dev/nvidia0}]
  - name: "1"
    containerEdits:
      deviceNodes: [{path: /dev/nvidia1}]
  - name: all
    containerEdits:
      deviceNodes: [{path: /dev/nvidia0}, {path: /dev/nvidia1}]
containerEdits:
  deviceNodes: [{path: /dev/nvidiactl}]
`

// NVIDIACDIDir writes NVIDIA's CDI spec into a new directory.
func nvidiaCDIDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nvidia.yaml"), []byte(nvidiaSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestNVIDIAProfileByCapability(t *testing.T) {
	empty := []string{t.TempDir()}
	s, err := ProfileNVIDIA.Resolve(nil, Options{CDISpecDirs: empty})
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasDevices() || len(s.DeviceRequests) != 1 || s.DeviceRequests[0].Count != -1 ||
		!slices.Equal(s.DeviceRequests[0].Capabilities[0], []string{"gpu"}) || len(s.Devices) != 0 {
		t.Errorf("all GPUs: %+v", s)
	}
	args := strings.Join(s.DockerRunArgs(), " ")
	for _, want := range []string{"--gpus=all", "--shm-size=8g", "--ulimit=memlock=", "--ulimit=stack="} {
		if !strings.Contains(args, want) {
			t.Errorf("docker run args %q lack %q", args, want)
		}
	}
	if strings.Contains(args, "seccomp") || strings.Contains(args, "/dev/mxcd") {
		t.Errorf("MetaX's options on an NVIDIA host: %q", args)
	}

	s, err = ProfileNVIDIA.Resolve(nil, Options{CDISpecDirs: empty, GPUs: SelectGPUs(2, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.DeviceRequests[0]; !slices.Equal(r.DeviceIDs, []string{"0", "2"}) || r.Count != 0 {
		t.Errorf("GPUs 0 and 2: %+v", r)
	}
	if args := s.DockerRunArgs(); !slices.Contains(args, `--gpus="device=0,2"`) {
		t.Errorf("docker run args %q", args)
	}
}

func TestNVIDIAProfileByCDI(t *testing.T) {
	dirs := []string{nvidiaCDIDir(t)}
	s, err := ProfileNVIDIA.Resolve(nil, Options{CDISpecDirs: dirs})
	if err != nil {
		t.Fatal(err)
	}
	if r := s.DeviceRequests[0]; r.Driver != "cdi" || !slices.Equal(r.DeviceIDs, []string{"nvidia.com/gpu=all"}) {
		t.Errorf("all GPUs by CDI: %+v", r)
	}
	if args := s.DockerRunArgs(); !slices.Contains(args, "--device=nvidia.com/gpu=all") || slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--gpus") }) {
		t.Errorf("docker run args %q", args)
	}
	s, err = ProfileNVIDIA.Resolve(nil, Options{CDISpecDirs: dirs, GPUs: SelectGPUs(1)})
	if err != nil || !slices.Equal(s.DeviceRequests[0].DeviceIDs, []string{"nvidia.com/gpu=1"}) {
		t.Errorf("GPU 1 by CDI: %v %+v", err, s.DeviceRequests)
	}
	_, err = ProfileNVIDIA.Resolve(nil, Options{CDISpecDirs: dirs, GPUs: SelectGPUs(3)})
	if err == nil || !strings.Contains(err.Error(), "no device nvidia.com/gpu=3") {
		t.Errorf("a GPU the spec does not name: %v", err)
	}
}

func TestNoGPURuntimeExplained(t *testing.T) {
	docker := os.ErrInvalid
	raw := &wrapped{`Error response from daemon: could not select device driver "" with capabilities: [[gpu]]`}
	spec := Spec{DeviceRequests: []DeviceRequest{{Count: -1, Capabilities: [][]string{{"gpu"}}}}}
	err := ExplainRunError(raw, spec)
	if !strings.Contains(err.Error(), "install the NVIDIA Container Toolkit") {
		t.Errorf("%v", err)
	}
	if ExplainRunError(docker, spec) != docker {
		t.Error("another error was changed")
	}
}

type wrapped struct{ msg string }

func (w *wrapped) Error() string { return w.msg }
