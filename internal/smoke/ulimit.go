package smoke

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// UlimitRefusedError is returned when the container could not start because
// the kernel refused a resource limit: Docker cannot raise a container's hard
// limit above its own, and on many hosts dockerd's memlock limit is 8 MiB.
type UlimitRefusedError struct {
	// Name is the limit, e.g. "memlock".
	Name string
	// Asked is what was asked for, when the run asked for that limit.
	Asked *Ulimit
	Err   error
}

func (e *UlimitRefusedError) Error() string {
	asked := "ulimit " + e.Name
	if e.Asked != nil {
		asked += "=" + limitString(e.Asked.Soft) + ":" + limitString(e.Asked.Hard)
	}
	return fmt.Sprintf("the host refused %s: Docker cannot give a container a higher limit than dockerd's own hard limit; "+
		"lower %s to at most that (the \"Max %s\" row of /proc/$(pidof dockerd)/limits), "+
		"or raise dockerd's limit (Limit%s=infinity in its systemd unit) and restart it: %v",
		asked, e.Name, rlimitWords[e.Name], strings.ToUpper(e.Name), e.Err)
}

func (e *UlimitRefusedError) Unwrap() error { return e.Err }

func limitString(v int64) string {
	if v < 0 {
		return "-1"
	}
	return strconv.FormatInt(v, 10)
}

// rlimitNames maps Linux RLIMIT_* numbers, which runc reports, to Docker's
// --ulimit names.
var rlimitNames = [...]string{
	"cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
	"memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime",
}

// rlimitWords are the row names of /proc/PID/limits.
var rlimitWords = map[string]string{
	"cpu": "cpu time", "fsize": "file size", "data": "data size", "stack": "stack size",
	"core": "core file size", "rss": "resident set", "nproc": "processes", "nofile": "open files",
	"memlock": "locked memory", "as": "address space", "locks": "file locks",
	"sigpending": "pending signals", "msgqueue": "msgqueue size", "nice": "nice priority",
	"rtprio": "realtime priority", "rttime": "realtime timeout",
}

// runc says: "error setting rlimit type 8: operation not permitted".
var rlimitRefused = regexp.MustCompile(`setting rlimit type (\d+): operation not permitted`)

// explainUlimit turns runc's refusal of a limit into an UlimitRefusedError,
// and returns err unchanged otherwise.
func explainUlimit(err error, asked []Ulimit) error {
	if err == nil {
		return nil
	}
	m := rlimitRefused.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	n, _ := strconv.Atoi(m[1])
	name := "type " + m[1]
	if n < len(rlimitNames) {
		name = rlimitNames[n]
	}
	refused := &UlimitRefusedError{Name: name, Err: err}
	for i := range asked {
		if asked[i].Name == name {
			refused.Asked = &asked[i]
		}
	}
	return refused
}
