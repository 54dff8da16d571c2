package runner

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Every container also names the process that started it, so that a
// cleanup of "everything" removes only what no live run still uses: runs of
// macabox (and test packages) often overlap on one Docker engine.
const (
	LabelOwnerHost  = "org.ccf-ai-infra.macabox.owner.host"
	LabelOwnerPID   = "org.ccf-ai-infra.macabox.owner.pid"
	LabelOwnerStart = "org.ccf-ai-infra.macabox.owner.start"
)

// owner identifies a process across pid reuse and reboots.
type owner struct {
	host  string
	pid   int
	start string // boot id and start time; empty where /proc cannot tell
}

func currentOwner() owner {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return owner{host: host, pid: pid, start: processStart(pid)}
}

func (o owner) labels() map[string]string {
	return map[string]string{
		LabelOwnerHost: o.host, LabelOwnerPID: strconv.Itoa(o.pid), LabelOwnerStart: o.start,
	}
}

func ownerOf(labels map[string]string) (owner, bool) {
	pid, err := strconv.Atoi(labels[LabelOwnerPID])
	if err != nil || labels[LabelOwnerHost] == "" {
		return owner{}, false
	}
	return owner{host: labels[LabelOwnerHost], pid: pid, start: labels[LabelOwnerStart]}, true
}

// ownerState tells whether the process that started a container still runs.
type ownerState int

const (
	ownerGone ownerState = iota
	ownerAlive
	// ownerElsewhere: started on another host; its liveness cannot be known.
	ownerElsewhere
)

func (o owner) state(host string) ownerState {
	if o.host != host {
		return ownerElsewhere
	}
	if o.start != "" {
		switch processStart(o.pid) {
		case o.start:
			return ownerAlive
		case "":
			// Unreadable (gone, or hidden from us): ask the kernel below.
		default:
			return ownerGone // the pid was reused
		}
	}
	if err := syscall.Kill(o.pid, 0); err == nil || err == syscall.EPERM {
		return ownerAlive
	}
	return ownerGone
}

// processStart is "<boot id>/<start time in clock ticks>" from /proc, or ""
// where that cannot be read (no /proc, or the process is gone).
func processStart(pid int) string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name in parentheses may contain spaces; fields count from
	// after its closing parenthesis, where field 3 (state) starts.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	const startTime = 22 - 3 // field 22 of stat, 0-based from field 3
	if len(fields) <= startTime {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + fields[startTime]
}
