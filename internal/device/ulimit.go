package device

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// UlimitRefusedError explains that the container runtime could not apply
// one of the Spec's ulimits. It is the one explanation of a refused limit:
// test, run, build --test and reproduce all go through ExplainRunError.
type UlimitRefusedError struct {
	Name  string // memlock, stack, ...
	Value int64  // the hard limit asked for; 0 when the Spec did not set it
	Err   error  // the runtime's error
}

func (e *UlimitRefusedError) Error() string {
	what := e.Name
	if e.Value != 0 {
		what += "=" + FormatSize(e.Value)
	}
	var fix string
	switch e.Name {
	case "memlock":
		fix = fmt.Sprintf("lower it with --memlock %s or less (%s is the kernel's default)",
			FormatSize(DefaultMemlock), FormatSize(DefaultMemlock))
	case "stack":
		fix = "lower it with --stack"
	default:
		fix = "lower that ulimit"
	}
	raise := ""
	if word, ok := rlimitWords[e.Name]; ok {
		raise = fmt.Sprintf(", or raise dockerd's own hard limit (the \"Max %s\" row of /proc/$(pidof dockerd)/limits; Limit%s=infinity in its systemd unit) and restart it",
			word, strings.ToUpper(e.Name))
	}
	return fmt.Sprintf("the host refused %s; %s%s: a container runtime without CAP_SYS_RESOURCE cannot raise a ulimit above its own hard limit: %v",
		what, fix, raise, e.Err)
}

func (e *UlimitRefusedError) Unwrap() error { return e.Err }

var (
	// runc: "error setting rlimit type 8: operation not permitted".
	runcRlimit = regexp.MustCompile(`(?i)rlimit type (\d+): operation not permitted`)
	// crun: "setrlimit `RLIMIT_MEMLOCK`: Operation not permitted".
	crunRlimit = regexp.MustCompile("(?i)setrlimit\\W+RLIMIT_([A-Z]+)\\W+operation not permitted")
)

// rlimitWords are the row names of /proc/PID/limits.
var rlimitWords = map[string]string{
	"cpu": "cpu time", "fsize": "file size", "data": "data size", "stack": "stack size",
	"core": "core file size", "rss": "resident set", "nproc": "processes", "nofile": "open files",
	"memlock": "locked memory", "as": "address space", "locks": "file locks",
	"sigpending": "pending signals", "msgqueue": "msgqueue size", "nice": "nice priority",
	"rtprio": "realtime priority", "rttime": "realtime timeout",
}

// rlimitNames are the resource numbers of the generic Linux ABI (x86,
// arm, riscv); mips, sparc and alpha number some differently.
var rlimitNames = map[int]string{
	0: "cpu", 1: "fsize", 2: "data", 3: "stack", 4: "core", 5: "rss",
	6: "nproc", 7: "nofile", 8: "memlock", 9: "as", 10: "locks",
	11: "sigpending", 12: "msgqueue", 13: "nice", 14: "rtprio", 15: "rttime",
}

// ExplainRunError returns err as an *UlimitRefusedError when it is the
// runtime refusing one of the Spec's ulimits (Docker passes runc's or
// crun's message through), with what to install when it is Docker unable
// to give the GPUs a device request asks for, and err unchanged otherwise.
func ExplainRunError(err error, s Spec) error {
	if err == nil {
		return nil
	}
	if len(s.DeviceRequests) > 0 {
		err = explainNoGPURuntime(err)
	}
	name := refusedLimit(err.Error())
	if name == "" {
		return err
	}
	refused := &UlimitRefusedError{Name: name, Err: err}
	for _, u := range s.Ulimits {
		if u.Name == name {
			refused.Value = u.Hard
		}
	}
	return refused
}

func refusedLimit(msg string) string {
	if m := runcRlimit.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		if name, ok := rlimitNames[n]; ok {
			return name
		}
		return "rlimit " + m[1]
	}
	if m := crunRlimit.FindStringSubmatch(msg); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}
