package device

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// GPUSelection picks GPUs by index. The zero value selects all of them.
// It implements the pflag.Value methods, so a command can bind it to a flag
// directly.
type GPUSelection struct {
	indices []int // sorted, unique; nil means all
}

// SelectGPUs selects the given indices; with none it selects all GPUs.
func SelectGPUs(indices ...int) GPUSelection {
	var g GPUSelection
	for _, i := range indices {
		g.add(i)
	}
	return g
}

// ParseGPUs reads "all" or a comma-separated list of indices such as "0,2".
// Order and repeats do not matter: each selected GPU is passed once and they
// are numbered in PCI order inside the container. An empty list is refused,
// not read as "all": `--gpus "$GPUS"` with an unset variable must not hand
// every GPU to a container.
func ParseGPUs(s string) (GPUSelection, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "all":
		return GPUSelection{}, nil
	case "":
		return GPUSelection{}, fmt.Errorf("empty GPU list: want \"all\" or indices like 0,2")
	}
	var g GPUSelection
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		i, err := strconv.Atoi(item)
		if err != nil || i < 0 {
			return GPUSelection{}, fmt.Errorf("GPU list %q: %q is not a GPU index (want \"all\" or numbers like 0,2)", s, item)
		}
		g.add(i)
	}
	return g, nil
}

func (g *GPUSelection) add(i int) {
	at := sort.SearchInts(g.indices, i)
	if at < len(g.indices) && g.indices[at] == i {
		return
	}
	g.indices = append(g.indices, 0)
	copy(g.indices[at+1:], g.indices[at:])
	g.indices[at] = i
}

// All reports whether every GPU is selected.
func (g GPUSelection) All() bool { return g.indices == nil }

// Indices returns the selected indices in ascending order, nil for all.
func (g GPUSelection) Indices() []int {
	if g.indices == nil {
		return nil
	}
	return append([]int(nil), g.indices...)
}

// String renders the selection as ParseGPUs reads it.
func (g GPUSelection) String() string {
	if g.All() {
		return "all"
	}
	return joinInts(g.indices)
}

// Set parses s into g, for flag packages.
func (g *GPUSelection) Set(s string) error {
	parsed, err := ParseGPUs(s)
	if err != nil {
		return err
	}
	*g = parsed
	return nil
}

// Type names the flag value in help text.
func (g *GPUSelection) Type() string { return "gpus" }

func joinInts(ints []int) string {
	parts := make([]string, len(ints))
	for i, n := range ints {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}
