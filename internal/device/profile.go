package device

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Profile names a way of giving a container devices.
type Profile string

const (
	// ProfileAuto is ProfileMACA on a host with <dev>/mxcd, else ProfileNone.
	ProfileAuto Profile = "auto"
	// ProfileMACA passes MACA's control nodes and the selected GPUs.
	ProfileMACA Profile = "maca"
	// ProfileNVIDIA passes NVIDIA GPUs, for recording references on a
	// CUDA host (see nvidia.go).
	ProfileNVIDIA Profile = "nvidia"
	// ProfileNone passes no devices.
	ProfileNone Profile = "none"
)

// Profiles lists the profiles in the order help text shows them.
func Profiles() []Profile { return []Profile{ProfileAuto, ProfileMACA, ProfileNVIDIA, ProfileNone} }

// ParseProfile reads a profile name.
func ParseProfile(s string) (Profile, error) {
	for _, p := range Profiles() {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("device profile %q: want auto, maca, nvidia or none", s)
}

// String returns the profile's name.
func (p Profile) String() string { return string(p) }

// Set parses s into p, for flag packages.
func (p *Profile) Set(s string) error {
	parsed, err := ParseProfile(s)
	if err != nil {
		return err
	}
	*p = parsed
	return nil
}

// Type names the flag value in help text.
func (p *Profile) Type() string { return "profile" }

// Options tune what a profile resolves to. Zero fields take the defaults.
type Options struct {
	GPUs    GPUSelection
	ShmSize int64 // bytes; 0 means DefaultShmSize
	Memlock int64 // bytes or Unlimited; 0 means DefaultMemlock
	Stack   int64 // bytes or Unlimited; 0 means DefaultStack
	// Privileged says the recipe asks for a privileged container.
	Privileged bool
	// AllowPrivileged says the user agrees to one. Both are needed.
	AllowPrivileged bool
	// CDISpecDirs are where the nvidia profile looks for NVIDIA's CDI spec;
	// nil means DefaultCDISpecDirs.
	CDISpecDirs []string
}

// Resolve turns the profile into a Spec for host h. h may be nil for
// ProfileNone and ProfileNVIDIA, which do not look at MetaX devices.
func (p Profile) Resolve(h *Host, o Options) (Spec, error) {
	switch p {
	case ProfileNone:
		return Spec{Profile: ProfileNone, NoDeviceReason: "device profile is none"}, nil
	case ProfileAuto:
		if h == nil {
			return Spec{}, errors.New("device profile auto: no host discovered")
		}
		if ok, reason := h.Present(); !ok {
			return Spec{Profile: ProfileNone, NoDeviceReason: reason}, nil
		}
		return resolveMACA(h, o)
	case ProfileMACA:
		if h == nil {
			return Spec{}, errors.New("device profile maca: no host discovered")
		}
		return resolveMACA(h, o)
	case ProfileNVIDIA:
		return resolveNVIDIA(o)
	}
	return Spec{}, fmt.Errorf("device profile %q: want auto, maca, nvidia or none", string(p))
}

func resolveMACA(h *Host, o Options) (Spec, error) {
	if ok, reason := h.Present(); !ok {
		return Spec{}, fmt.Errorf("device profile maca: %s (%s is missing)", reason, filepath.Join(h.Roots.Dev, "mxcd"))
	}
	if o.Privileged && !o.AllowPrivileged {
		return Spec{}, errors.New("the recipe asks for a privileged container; allow it with --allow privileged")
	}
	gpus, dri, err := selectGPUs(h, o.GPUs)
	if err != nil {
		return Spec{}, err
	}
	s := Spec{
		Profile:     ProfileMACA,
		GPUs:        gpus,
		ShmSize:     orDefault(o.ShmSize, DefaultShmSize),
		SecurityOpt: []string{"seccomp=unconfined"},
		Privileged:  o.Privileged,
		Warnings:    append([]string(nil), h.Warnings...),
	}
	memlock := orDefault(o.Memlock, DefaultMemlock)
	stack := orDefault(o.Stack, DefaultStack)
	s.Ulimits = []Ulimit{
		{Name: "memlock", Soft: memlock, Hard: memlock},
		{Name: "stack", Soft: stack, Hard: stack},
	}
	nodes := append(append([]Node(nil), h.Control...), h.InfiniBand...)
	for _, g := range gpus {
		nodes = append(nodes, g.Nodes...)
	}
	nodes = append(nodes, dri...)
	s.Devices, s.GroupAdd = mappings(nodes)
	if len(gpus) > 0 {
		s.Env = visibleDevicesEnv(len(gpus))
	}
	if len(gpus) == 0 && len(dri) == 0 {
		s.Warnings = append(s.Warnings, "no GPU nodes found: passing only "+strings.Join(containerPaths(h.Control), ", "))
	}
	return s, nil
}

// selectGPUs returns the selected GPUs, or, on a host whose DRM nodes
// could not be mapped to GPUs, all of those nodes when all GPUs are
// selected.
func selectGPUs(h *Host, sel GPUSelection) ([]GPU, []Node, error) {
	if sel.All() {
		// A GPU without nodes (Discover warned about it) would not be
		// visible inside, so it must not be counted there either.
		var usable []GPU
		for _, g := range h.GPUs {
			if len(g.Nodes) > 0 {
				usable = append(usable, g)
			}
		}
		return usable, h.UnmappedDRI, nil
	}
	if len(h.GPUs) == 0 && len(h.UnmappedDRI) > 0 {
		return nil, nil, fmt.Errorf("cannot select GPUs %s: no metax driver in %s/%s maps GPUs to DRM nodes; select all GPUs instead",
			sel, h.Roots.Sys, driverParent)
	}
	var gpus []GPU
	for _, i := range sel.indices {
		if i >= len(h.GPUs) {
			return nil, nil, fmt.Errorf("GPU %d not found; %s", i, describeGPUs(h.GPUs))
		}
		g := h.GPUs[i]
		if len(g.Nodes) == 0 {
			return nil, nil, fmt.Errorf("GPU %d (%s) has no DRM nodes to pass", i, g.BDF)
		}
		gpus = append(gpus, g)
	}
	return gpus, nil, nil
}

func describeGPUs(gpus []GPU) string {
	if len(gpus) == 0 {
		return "this host has no MetaX GPUs"
	}
	found := make([]string, len(gpus))
	for i, g := range gpus {
		found[i] = fmt.Sprintf("%d (%s)", g.Index, g.BDF)
	}
	return "found: " + strings.Join(found, ", ")
}

// visibleDevicesEnv numbers the passed GPUs from 0. The container gets only
// the selected GPUs' card and render nodes, so MACA inside should enumerate
// just those, in PCI order, as 0..n-1: host GPU 2 passed alone is GPU 0 in
// there, and CUDA_VISIBLE_DEVICES=2 would hide it. (The host index is right
// only when every GPU's nodes are passed and the variable does the
// filtering, the other way MetaX's docs select GPUs.) That MACA renumbers
// this way is not yet confirmed on hardware: maca-facts §1.3 lists it as an
// open question. CUDA_VISIBLE_DEVICES is what MACA's CUDA-shaped PyTorch
// reads, MACA_VISIBLE_DEVICES is MACA's own; both are set so they cannot
// disagree.
func visibleDevicesEnv(n int) []string {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	v := joinInts(ids)
	return []string{"CUDA_VISIBLE_DEVICES=" + v, "MACA_VISIBLE_DEVICES=" + v}
}

// mappings turns nodes into device mappings and the groups that open them.
// Group 0 is left out: adding root's group to a non-root user would open
// every root-group file in the image, and root-owned device nodes such as
// InfiniBand's are world-accessible anyway.
func mappings(nodes []Node) ([]DeviceMapping, []uint32) {
	var devs []DeviceMapping
	seen := map[uint32]bool{}
	var gids []uint32
	for _, n := range nodes {
		devs = append(devs, DeviceMapping{PathOnHost: n.HostPath, PathInContainer: n.ContainerPath, CgroupPermissions: "rwm"})
		if n.GID != 0 && !seen[n.GID] {
			seen[n.GID] = true
			gids = append(gids, n.GID)
		}
	}
	sort.Slice(gids, func(i, j int) bool { return gids[i] < gids[j] })
	return devs, gids
}

func containerPaths(nodes []Node) []string {
	paths := make([]string, len(nodes))
	for i, n := range nodes {
		paths[i] = n.ContainerPath
	}
	return paths
}

func orDefault(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}
