package device

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// Roots say where discovery looks. The zero value means the real host.
type Roots struct {
	Dev string // device nodes; default /dev
	Sys string // sysfs; default /sys
}

func (r Roots) withDefaults() Roots {
	if r.Dev == "" {
		r.Dev = "/dev"
	}
	if r.Sys == "" {
		r.Sys = "/sys"
	}
	return r
}

// Node is a device node on the host.
type Node struct {
	HostPath      string // under Roots.Dev
	ContainerPath string // the same path relative to /dev inside the container
	Type          string // "c" (character) or "b" (block)
	Major, Minor  uint32
	// GID is numeric on purpose: a group name such as "video" may not exist
	// in the image, or may have another id there.
	GID uint32
}

// GPU is one MetaX GPU and the DRM nodes that belong to it.
type GPU struct {
	Index int    // as mx-smi numbers it; see Discover
	BDF   string // PCI address, e.g. 0000:0e:00.0
	Nodes []Node // cardN, then renderDM
}

// Host is what Discover found.
type Host struct {
	Roots Roots
	// Control holds the nodes every GPU needs: mxcd, and mxnd and mxgd
	// where the host has them.
	Control []Node
	// InfiniBand holds the nodes under <dev>/infiniband, for RDMA.
	InfiniBand []Node
	// GPUs are in PCI address order; GPU.Index is the position.
	GPUs []GPU
	// UnmappedDRI is set instead of GPUs when sysfs cannot say which DRM
	// node belongs to which GPU: all of them are then passed together.
	UnmappedDRI []Node
	Warnings    []string
}

// controlNodes are shared by every GPU. mxcd is MACA's control device and
// is required; gpustack's CDI generator also passes mxnd and mxgd when they
// exist, and so do we.
var controlNodes = []string{"mxcd", "mxnd", "mxgd"}

// Discover reads the device nodes and sysfs under roots.
//
// GPU indices follow PCI address (BDF) order, because that is the order
// mx-smi and libmxsml number GPUs in (as nvidia-smi does). The DRM card
// number is not the index: on a C500 host GPU 0 is card1/renderD128, card0
// being the board's VGA. Sysfs is what ties a BDF to its card and render
// nodes.
func Discover(roots Roots) (*Host, error) {
	roots = roots.withDefaults()
	if fi, err := os.Stat(roots.Dev); err != nil {
		return nil, fmt.Errorf("dev root: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("dev root %s: not a directory", roots.Dev)
	}
	h := &Host{Roots: roots}
	for _, name := range controlNodes {
		n, err := optionalNode(roots.Dev, name)
		if err != nil {
			return nil, err
		}
		if n != nil {
			h.Control = append(h.Control, *n)
		}
	}
	ib, err := nodesIn(roots.Dev, "infiniband")
	if err != nil {
		return nil, err
	}
	h.InfiniBand = ib
	if err := h.discoverGPUs(); err != nil {
		return nil, err
	}
	return h, nil
}

// Present says whether the host has a MACA device, and if not, why not in
// words a test report can show.
func (h *Host) Present() (ok bool, reason string) {
	for _, n := range h.Control {
		if path.Base(n.ContainerPath) == "mxcd" {
			return true, ""
		}
	}
	return false, fmt.Sprintf("no MACA device under %s", h.Roots.Dev)
}

func (h *Host) discoverGPUs() error {
	driver, found, err := findDriverDir(h.Roots.Sys)
	if err != nil {
		return err
	}
	if found {
		h.GPUs, err = gpusFromSysfs(driver, h.Roots.Dev)
		if err != nil {
			return err
		}
		for _, g := range h.GPUs {
			if len(g.Nodes) == 0 {
				h.Warnings = append(h.Warnings, fmt.Sprintf(
					"GPU %d (%s) has no DRM nodes in %s", g.Index, g.BDF, filepath.Join(driver, g.BDF, "drm")))
			}
		}
		return nil
	}
	dri, err := nodesIn(h.Roots.Dev, "dri")
	if err != nil {
		return err
	}
	if len(dri) > 0 {
		h.UnmappedDRI = dri
		h.Warnings = append(h.Warnings, fmt.Sprintf(
			"no metax driver under %s: passing all %d nodes in %s as one group; single GPUs cannot be selected",
			filepath.Join(h.Roots.Sys, driverParent), len(dri), filepath.Join(h.Roots.Dev, "dri")))
	}
	return nil
}

// optionalNode returns nil when dev/rel does not exist.
func optionalNode(dev, rel string) (*Node, error) {
	n, err := readNode(dev, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// nodesIn returns the device nodes directly inside dev/dir, sorted by name;
// nothing when dev/dir does not exist. Anything else in there (by-path
// symlinks, subdirectories) is left out: Docker gets the nodes themselves.
func nodesIn(dev, dir string) ([]Node, error) {
	entries, err := os.ReadDir(filepath.Join(dev, dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var nodes []Node
	for _, e := range entries {
		if e.Type()&fs.ModeDevice == 0 {
			continue
		}
		n, err := readNode(dev, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].HostPath < nodes[j].HostPath })
	return nodes, nil
}

// readNode stats dev/rel, following symlinks as docker run --device does.
func readNode(dev, rel string) (Node, error) {
	p := filepath.Join(dev, filepath.FromSlash(rel))
	fi, err := os.Stat(p)
	if err != nil {
		return Node{}, err
	}
	n := Node{HostPath: p, ContainerPath: path.Join("/dev", rel)}
	switch {
	case fi.Mode()&fs.ModeCharDevice != 0:
		n.Type = "c"
	case fi.Mode()&fs.ModeDevice != 0:
		n.Type = "b"
	default:
		return Node{}, fmt.Errorf("%s: not a device node", p)
	}
	n.Major, n.Minor, n.GID, err = nodeNumbers(fi)
	if err != nil {
		return Node{}, fmt.Errorf("%s: %w", p, err)
	}
	return n, nil
}
