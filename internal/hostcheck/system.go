package hostcheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// memlockCheck reads the hard memlock limit containers inherit from dockerd's
// environment. MetaX's docs pass --ulimit memlock=-1; where the kernel refuses
// more than a few MiB the run must ask for less.
func memlockCheck(f *Facts) Check {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return Check{Name: "memlock", Status: Warn, Detail: "cannot read the limit: " + err.Error()}
	}
	f.MemlockHard = formatLimit(lim.Max)
	if lim.Max == unix.RLIM_INFINITY {
		return Check{Name: "memlock", Status: OK, Detail: "hard limit unlimited"}
	}
	return Check{
		Name:   "memlock",
		Status: Warn,
		Detail: "hard limit " + f.MemlockHard + "; MetaX's docs run with memlock=-1 (unlimited)",
		Fix:    "raise it (e.g. LimitMEMLOCK=infinity for dockerd) or pass --memlock " + f.MemlockHard + " to test/run",
	}
}

func formatLimit(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	switch {
	case v%(1<<30) == 0:
		return fmt.Sprintf("%dg", v>>30)
	case v%(1<<20) == 0:
		return fmt.Sprintf("%dm", v>>20)
	case v%(1<<10) == 0:
		return fmt.Sprintf("%dk", v>>10)
	}
	return strconv.FormatUint(v, 10)
}

// cgroupCheck tells cgroup v1 from v2: Docker's device rules differ between
// them, and a report from a failing host should say which it was.
func cgroupCheck(sysRoot string, f *Facts) Check {
	if _, err := os.Stat(filepath.Join(sysRoot, "fs", "cgroup", "cgroup.controllers")); err == nil {
		f.CgroupVersion = 2
		return Check{Name: "cgroup", Status: OK, Detail: "v2 (unified)"}
	}
	if _, err := os.Stat(filepath.Join(sysRoot, "fs", "cgroup")); err == nil {
		f.CgroupVersion = 1
		return Check{Name: "cgroup", Status: OK, Detail: "v1"}
	}
	return Check{Name: "cgroup", Status: Warn, Detail: "no cgroup filesystem under " + filepath.Join(sysRoot, "fs", "cgroup")}
}

// minFreeDisk is what a MACA AI image with a model needs to unpack comfortably;
// the official images alone are tens of GiB.
const minFreeDisk = 50 << 30

func diskCheck(path string, f *Facts) Check {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return Check{Name: "disk", Status: Warn, Detail: fmt.Sprintf("cannot stat %s: %v", path, err)}
	}
	free := st.Bavail * uint64(st.Bsize)
	f.FreeDiskBytes, f.FreeDiskPath = free, path
	detail := fmt.Sprintf("%.1f GiB free under %s", float64(free)/(1<<30), path)
	if free < minFreeDisk {
		return Check{Name: "disk", Status: Warn, Detail: detail, Fix: "MACA images need tens of GiB: free space or move Docker's data-root"}
	}
	return Check{Name: "disk", Status: OK, Detail: detail}
}

var (
	kmdRe  = regexp.MustCompile(`Kernel\s+Mode\s+Driver\s+Version:\s*([0-9][0-9.]*)`)
	macaRe = regexp.MustCompile(`MACA\s+Version:\s*([^\s|]+)`)
	smiRe  = regexp.MustCompile(`(?i)mx-smi\s+(?:version:\s*)?([0-9][0-9.]*)`)
)

// SMIHeader is what the first lines of `mx-smi` say about the host.
type SMIHeader struct {
	Tool, KernelDriver, MACA string
}

// ParseSMIHeader reads the versions from mx-smi's banner, e.g.
// "MX-SMI 2.2.4   Kernel Mode Driver Version: 2.15.9" and
// "MACA Version: 2.32.0.6   BIOS Version: 1.25.1.0".
func ParseSMIHeader(out string) SMIHeader {
	var h SMIHeader
	if m := smiRe.FindStringSubmatch(out); m != nil {
		h.Tool = m[1]
	}
	if m := kmdRe.FindStringSubmatch(out); m != nil {
		h.KernelDriver = m[1]
	}
	if m := macaRe.FindStringSubmatch(out); m != nil {
		h.MACA = m[1]
	}
	return h
}

// smiCheck runs mx-smi (found on PATH or under /opt/mxdriver/bin) to learn the
// host's kernel driver and MACA versions, which every report should record.
func smiCheck(run func(name string, args ...string) (string, error), f *Facts) Check {
	out, err := run("mx-smi")
	if err != nil {
		var nf interface{ NotFound() bool }
		if errors.As(err, &nf) && nf.NotFound() {
			return Check{Name: "mx-smi", Status: Warn, Detail: "not found on PATH or in /opt/mxdriver/bin",
				Fix: "install MetaX's driver package (metax-driver) on the host to read driver and MACA versions"}
		}
		return Check{Name: "mx-smi", Status: Fail, Detail: "mx-smi failed: " + firstLine(err.Error()),
			Fix: "check the metax kernel module is loaded (lsmod | grep metax)"}
	}
	h := ParseSMIHeader(out)
	f.MXSMI, f.KernelDriver, f.HostMACA = h.Tool, h.KernelDriver, h.MACA
	if h.KernelDriver == "" && h.MACA == "" {
		return Check{Name: "mx-smi", Status: Warn, Detail: "ran, but its header had no driver or MACA version"}
	}
	return Check{Name: "mx-smi", Status: OK,
		Detail: fmt.Sprintf("kernel driver %s, MACA %s", orUnknown(h.KernelDriver), orUnknown(h.MACA))}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
