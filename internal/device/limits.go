package device

import (
	"fmt"
	"strconv"
	"strings"
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

var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"t", 40}, {"g", 30}, {"m", 20}, {"k", 10}, {"", 0}}

// ParseSize reads a byte count as docker run does: a number with an
// optional binary unit k, m, g or t (8m, 64M, 8GiB and 8388608 all work).
func ParseSize(s string) (int64, error) {
	num := strings.ToLower(strings.TrimSpace(s))
	if trimmed, ok := strings.CutSuffix(num, "ib"); ok {
		num = trimmed
	} else {
		num = strings.TrimSuffix(num, "b")
	}
	for _, u := range sizeUnits {
		digits, ok := strings.CutSuffix(num, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(digits), 10, 64)
		if err != nil || n < 0 || n > (1<<62)>>u.shift {
			break
		}
		return n << u.shift, nil
	}
	return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit k, m, g or t", s)
}

// ParseLimit reads a ulimit value: a size as ParseSize reads it, or
// "unlimited" (also "-1").
func ParseLimit(s string) (int64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "unlimited", "-1":
		return Unlimited, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("limit %q: want a size such as 8m, or unlimited", s)
	}
	return n, nil
}

// FormatSize renders n in the largest binary unit that divides it exactly,
// in a form both ParseSize and docker run read back.
func FormatSize(n int64) string {
	if n == Unlimited {
		return "unlimited"
	}
	for _, u := range sizeUnits {
		if u.shift > 0 && n > 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
