package device

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"

	"tags.cncf.io/container-device-interface/pkg/cdi"
	"tags.cncf.io/container-device-interface/pkg/parser"
	specs "tags.cncf.io/container-device-interface/specs-go"
)

// CDIKind is the CDI kind gpustack uses for MetaX GPUs; the same vendor
// string names MetaX's Kubernetes resources.
const CDIKind = "metax-tech.com/gpu"

// ErrNoDevices is wrapped when the host has no MetaX devices to describe.
var ErrNoDevices = errors.New("no MetaX devices")

// GenerateCDI describes host h's GPUs as a CDI spec: one device per GPU
// named by its index, another named by its PCI address, and "all".
//
// The control nodes (mxcd, mxnd, mxgd) are spec-wide edits, which a runtime
// applies once whichever GPUs are asked for; each device carries its own
// card and render nodes. Nodes carry no major/minor: the runtime reads them
// from the host node when it injects the device, so the spec stays right if
// a driver reload renumbers the nodes. No device sets CUDA_VISIBLE_DEVICES:
// a runtime merges the env of every device asked for, so no single device
// knows the right value; whoever asks for devices sets it. InfiniBand is
// left to RDMA's own CDI spec.
//
// The spec's version is the lowest the library accepts for the features
// used (0.7.0 once additionalGids are present).
func GenerateCDI(h *Host) (*specs.Spec, error) {
	if ok, reason := h.Present(); !ok {
		return nil, fmt.Errorf("generating CDI spec: %w: %s", ErrNoDevices, reason)
	}
	if len(h.GPUs) == 0 && len(h.UnmappedDRI) == 0 {
		return nil, fmt.Errorf("generating CDI spec: %w: no MetaX GPUs under %s or %s", ErrNoDevices, h.Roots.Sys, h.Roots.Dev)
	}
	common := gidSet(h.Control)
	spec := &specs.Spec{
		Kind: CDIKind,
		ContainerEdits: specs.ContainerEdits{
			DeviceNodes:    cdiNodes(h.Control),
			AdditionalGIDs: common.sorted(),
		},
	}
	all := h.UnmappedDRI
	for _, g := range h.GPUs {
		if len(g.Nodes) == 0 {
			// CDI rejects a device that changes nothing; Discover has
			// warned about this GPU already.
			continue
		}
		edits := gpuEdits(g.Nodes, common)
		for _, name := range []string{strconv.Itoa(g.Index), g.BDF} {
			spec.Devices = append(spec.Devices, specs.Device{Name: name, ContainerEdits: edits})
		}
		all = append(all, g.Nodes...)
	}
	spec.Devices = append(spec.Devices, specs.Device{Name: "all", ContainerEdits: gpuEdits(all, common)})
	version, err := specs.MinimumRequiredVersion(spec)
	if err != nil {
		return nil, fmt.Errorf("generating CDI spec: %w", err)
	}
	spec.Version = version
	if err := validateCDI(spec); err != nil {
		return nil, fmt.Errorf("generating CDI spec: %w", err)
	}
	return spec, nil
}

// WriteCDI writes spec as indented JSON, which CDI reads from a .json file
// and which is also valid YAML.
func WriteCDI(w io.Writer, spec *specs.Spec) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(spec)
}

// InstallCDI writes spec as YAML into dir (e.g. /etc/cdi or /var/run/cdi)
// under the name CDI derives from its kind, replacing an older copy
// atomically, and returns the file's path. The library validates the spec
// as it writes it.
func InstallCDI(dir string, spec *specs.Spec) (string, error) {
	name, err := cdi.GenerateNameForSpec(spec)
	if err != nil {
		return "", fmt.Errorf("installing CDI spec: %w", err)
	}
	cache, err := cdi.NewCache(cdi.WithSpecDirs(dir), cdi.WithAutoRefresh(false))
	if err != nil {
		return "", fmt.Errorf("installing CDI spec: %w", err)
	}
	if err := cache.WriteSpec(spec, name+".yaml"); err != nil {
		return "", fmt.Errorf("installing CDI spec in %s: %w", dir, err)
	}
	return filepath.Join(dir, name+".yaml"), nil
}

// validateCDI runs the library's checks on spec, so a spec this package
// returns is one a runtime loads.
func validateCDI(spec *specs.Spec) error {
	if err := specs.ValidateVersion(spec); err != nil {
		return err
	}
	vendor, class := parser.ParseQualifier(spec.Kind)
	if err := errors.Join(parser.ValidateVendorName(vendor), parser.ValidateClassName(class)); err != nil {
		return err
	}
	if err := (&cdi.ContainerEdits{ContainerEdits: &spec.ContainerEdits}).Validate(); err != nil {
		return err
	}
	for i := range spec.Devices {
		d := &spec.Devices[i]
		if err := parser.ValidateDeviceName(d.Name); err != nil {
			return fmt.Errorf("device %q: %w", d.Name, err)
		}
		if len(d.ContainerEdits.DeviceNodes) == 0 {
			return fmt.Errorf("device %q: no device nodes", d.Name)
		}
		if err := (&cdi.ContainerEdits{ContainerEdits: &d.ContainerEdits}).Validate(); err != nil {
			return fmt.Errorf("device %q: %w", d.Name, err)
		}
	}
	return nil
}

// gpuEdits passes nodes and adds the groups that open them, except those
// the spec-wide edits add already.
func gpuEdits(nodes []Node, common gids) specs.ContainerEdits {
	own := gidSet(nodes)
	for g := range common {
		delete(own, g)
	}
	return specs.ContainerEdits{DeviceNodes: cdiNodes(nodes), AdditionalGIDs: own.sorted()}
}

func cdiNodes(nodes []Node) []*specs.DeviceNode {
	out := make([]*specs.DeviceNode, len(nodes))
	for i, n := range nodes {
		out[i] = &specs.DeviceNode{Path: n.ContainerPath}
		if n.HostPath != n.ContainerPath {
			out[i].HostPath = n.HostPath
		}
	}
	return out
}

// gids is a set of group ids; 0 is never in it, for the reason given at
// mappings.
type gids map[uint32]bool

func gidSet(nodes []Node) gids {
	set := gids{}
	for _, n := range nodes {
		if n.GID != 0 {
			set[n.GID] = true
		}
	}
	return set
}

func (s gids) sorted() []uint32 {
	var out []uint32
	for g := range s {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
