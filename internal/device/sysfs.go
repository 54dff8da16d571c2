package device

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

// driverParent holds one link per PCI driver of the metax module. The
// driver is registered as METAX on the hosts gpustack has seen; the
// lowercase spelling is its fallback, and ours.
const driverParent = "module/metax/drivers"

var driverNames = []string{"pci:METAX", "pci:metax"}

// findDriverDir returns <sys>/module/metax/drivers/pci:METAX (or its
// lowercase spelling), and false when neither exists.
func findDriverDir(sys string) (string, bool, error) {
	for _, name := range driverNames {
		p := filepath.Join(sys, driverParent, name)
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", false, err
		}
		if !fi.IsDir() {
			return "", false, fmt.Errorf("%s: not a directory", p)
		}
		return p, true, nil
	}
	return "", false, nil
}

// bdfPattern matches a PCI address as sysfs spells it. The driver
// directory also holds files such as bind, unbind, new_id and module.
var bdfPattern = regexp.MustCompile(`^([0-9a-f]{4,}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$`)

var (
	cardPattern   = regexp.MustCompile(`^card[0-9]+$`)
	renderPattern = regexp.MustCompile(`^renderD[0-9]+$`)
)

// gpusFromSysfs lists the GPUs bound to the driver in PCI address order,
// each with its card and render nodes from <driver>/<bdf>/drm/.
func gpusFromSysfs(driver, dev string) ([]GPU, error) {
	entries, err := os.ReadDir(driver)
	if err != nil {
		return nil, err
	}
	var bdfs []string
	for _, e := range entries {
		if bdfPattern.MatchString(e.Name()) {
			bdfs = append(bdfs, e.Name())
		}
	}
	sort.Slice(bdfs, func(i, j int) bool { return bdfLess(bdfs[i], bdfs[j]) })
	gpus := make([]GPU, 0, len(bdfs))
	for i, bdf := range bdfs {
		nodes, err := drmNodes(filepath.Join(driver, bdf, "drm"), dev)
		if err != nil {
			return nil, fmt.Errorf("GPU %s: %w", bdf, err)
		}
		gpus = append(gpus, GPU{Index: i, BDF: bdf, Nodes: nodes})
	}
	return gpus, nil
}

// drmNodes returns the card node, then the render node, named in drmDir.
// A GPU without a drm directory gets no nodes; the caller warns.
func drmNodes(drmDir, dev string) ([]Node, error) {
	entries, err := os.ReadDir(drmDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cards, renders []string
	for _, e := range entries {
		switch {
		case cardPattern.MatchString(e.Name()):
			cards = append(cards, e.Name())
		case renderPattern.MatchString(e.Name()):
			renders = append(renders, e.Name())
		}
	}
	var nodes []Node
	for _, name := range append(cards, renders...) {
		n, err := readNode(dev, path.Join("dri", name))
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// bdfLess compares PCI addresses numerically: domains can be wider than
// four hex digits, which would break a string comparison.
func bdfLess(a, b string) bool {
	pa, pb := bdfParts(a), bdfParts(b)
	for i := range pa {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func bdfParts(bdf string) [4]uint64 {
	var parts [4]uint64
	m := bdfPattern.FindStringSubmatch(bdf)
	for i := range parts {
		// The pattern admits only hex digits, so parsing cannot fail.
		parts[i], _ = strconv.ParseUint(m[i+1], 16, 64)
	}
	return parts
}
