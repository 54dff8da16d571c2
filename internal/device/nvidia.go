package device

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"tags.cncf.io/container-device-interface/pkg/cdi"
)

// The nvidia profile exists for the reference side of a comparison: the
// same tests run on a CUDA host with the same tool. It passes NVIDIA GPUs
// the way Docker does: by CDI names (nvidia.com/gpu=all, =0, ...) where the
// NVIDIA Container Toolkit has written a CDI spec, else by a device request
// for the "gpu" capability, which the toolkit's runtime hook answers (what
// docker run --gpus does).

// NVIDIACDIKind is the CDI kind of NVIDIA's GPUs (nvidia-ctk cdi generate).
const NVIDIACDIKind = "nvidia.com/gpu"

// DefaultCDISpecDirs are where CDI specs are looked for when none are
// given: CDI's own defaults.
var DefaultCDISpecDirs = []string{"/etc/cdi", "/var/run/cdi"}

// DeviceRequest asks the container engine for devices by driver and
// capability instead of by node, as Docker's HostConfig.DeviceRequests
// does. Driver "cdi" takes CDI device names in DeviceIDs.
type DeviceRequest struct {
	Driver string
	// Count is how many devices; -1 is all. Ignored with DeviceIDs.
	Count     int
	DeviceIDs []string
	// Capabilities is a list of alternatives, each a list of capabilities
	// that must all be met: [["gpu"]].
	Capabilities [][]string
}

func resolveNVIDIA(o Options) (Spec, error) {
	if o.Privileged && !o.AllowPrivileged {
		return Spec{}, errors.New("the recipe asks for a privileged container; allow it with --allow privileged")
	}
	s := Spec{
		Profile:    ProfileNVIDIA,
		ShmSize:    orDefault(o.ShmSize, DefaultShmSize),
		Privileged: o.Privileged,
	}
	memlock, stack := orDefault(o.Memlock, DefaultMemlock), orDefault(o.Stack, DefaultStack)
	s.Ulimits = []Ulimit{{Name: "memlock", Soft: memlock, Hard: memlock}, {Name: "stack", Soft: stack, Hard: stack}}
	names, err := nvidiaCDIDevices(o.CDISpecDirs)
	if err != nil {
		return Spec{}, err
	}
	if len(names) > 0 {
		ids, err := cdiSelection(names, o.GPUs)
		if err != nil {
			return Spec{}, err
		}
		s.DeviceRequests = []DeviceRequest{{Driver: "cdi", DeviceIDs: ids}}
		return s, nil
	}
	r := DeviceRequest{Count: -1, Capabilities: [][]string{{"gpu"}}}
	if !o.GPUs.All() {
		r.Count = 0
		for _, i := range o.GPUs.Indices() {
			r.DeviceIDs = append(r.DeviceIDs, strconv.Itoa(i))
		}
	}
	s.DeviceRequests = []DeviceRequest{r}
	return s, nil
}

// nvidiaCDIDevices lists the NVIDIA GPU devices the CDI specs in dirs name
// (nil dirs: the defaults); none when there is no such spec.
func nvidiaCDIDevices(dirs []string) ([]string, error) {
	if dirs == nil {
		dirs = DefaultCDISpecDirs
	}
	cache, err := cdi.NewCache(cdi.WithSpecDirs(dirs...), cdi.WithAutoRefresh(false))
	if err != nil {
		return nil, fmt.Errorf("reading CDI specs in %s: %w", strings.Join(dirs, ", "), err)
	}
	var names []string
	for _, d := range cache.ListDevices() {
		if strings.HasPrefix(d, NVIDIACDIKind+"=") {
			names = append(names, d)
		}
	}
	sort.Strings(names)
	return names, nil
}

// cdiSelection picks the CDI names of the selected GPUs: "all", or one
// name per index.
func cdiSelection(names []string, sel GPUSelection) ([]string, error) {
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	var want []string
	if sel.All() {
		want = []string{NVIDIACDIKind + "=all"}
	} else {
		for _, i := range sel.Indices() {
			want = append(want, NVIDIACDIKind+"="+strconv.Itoa(i))
		}
	}
	for _, w := range want {
		if !have[w] {
			return nil, fmt.Errorf("the CDI specs name no device %s; they have %s", w, strings.Join(names, ", "))
		}
	}
	return want, nil
}

// gpusFlag renders a device request as docker run's --gpus value: "all",
// or `"device=0,2"` with the quotes --gpus needs around a list.
func gpusFlag(r DeviceRequest) string {
	if len(r.DeviceIDs) == 0 {
		if r.Count < 0 {
			return "all"
		}
		return strconv.Itoa(r.Count)
	}
	return `"device=` + strings.Join(r.DeviceIDs, ",") + `"`
}

// noGPURuntime is Docker's answer to a gpu request on a host without the
// NVIDIA Container Toolkit.
var noGPURuntime = regexp.MustCompile(`could not select device driver "[^"]*" with capabilities: \[\[gpu\]\]`)

// explainNoGPURuntime says what to install when Docker cannot give GPUs.
func explainNoGPURuntime(err error) error {
	if err == nil || !noGPURuntime.MatchString(err.Error()) {
		return err
	}
	return fmt.Errorf("%w\nDocker on this host cannot pass NVIDIA GPUs: install the NVIDIA Container Toolkit and restart Docker (nvidia-ctk runtime configure --runtime=docker), or record on a CPU image with --device none", err)
}
