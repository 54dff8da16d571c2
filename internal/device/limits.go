package device

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
)

// Unlimited is the ulimit value Docker reads as "no limit".
const Unlimited int64 = -1

// Defaults for Options fields left at zero.
const (
	// DefaultMemlock is the kernel's own default RLIMIT_MEMLOCK (since
	// Linux 5.16). MetaX's docs use memlock=-1, but a daemon that cannot
	// raise its own limit (no CAP_SYS_RESOURCE, as on the machines this
	// project is tested on) refuses anything above its hard limit, and 8 MiB
	// is what such a daemon usually has. Hosts that allow more can pass
	// Unlimited.
	DefaultMemlock int64 = 8 << 20
	// DefaultStack is what MetaX's minimal docker run line uses.
	DefaultStack int64 = 64 << 20
	// DefaultShmSize is MetaX's minimal set's --shm-size=8G. /dev/shm is a
	// tmpfs, so the size is a cap, not memory taken up front.
	DefaultShmSize int64 = 8 << 30
)

// ParseSize reads a byte count exactly as docker run --shm-size does
// (go-units' RAMInBytes): a number, which may have a fraction, and an
// optional binary unit k, m, g, t or p followed by an optional b or ib, in
// any case: 8388608, 8m, 64M, 8GiB and 1.5g all work. Negative sizes and
// sizes beyond what an int64 holds are refused.
func ParseSize(s string) (int64, error) {
	n, err := units.RAMInBytes(s)
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit k, m, g, t or p", s)
	}
	// RAMInBytes multiplies in floating point; a product beyond int64
	// comes back negative or, on some CPUs, as the largest int64.
	if n < 0 || n == math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n, nil
}

// ParseLimit reads a ulimit value: "unlimited" or -1 (which docker run
// --ulimit takes for no limit), or a size as ParseSize reads it, where
// docker run takes only a number of bytes.
func ParseLimit(s string) (int64, error) {
	if strings.EqualFold(s, "unlimited") || s == "-1" {
		return Unlimited, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("limit %q: want a size such as 8m, or unlimited", s)
	}
	return n, nil
}

// sizeUnits are the units FormatSize writes, largest first.
var sizeUnits = []struct {
	suffix string
	size   int64
}{{"t", units.TiB}, {"g", units.GiB}, {"m", units.MiB}, {"k", units.KiB}}

// FormatSize renders n in the largest binary unit that divides it exactly,
// in a form both ParseSize and docker run read back. It is written here
// because go-units only formats sizes approximately (four significant
// digits), and a docker run line must carry the exact size.
func FormatSize(n int64) string {
	if n == Unlimited {
		return "unlimited"
	}
	for _, u := range sizeUnits {
		if n > 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
