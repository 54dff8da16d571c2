package smokesh

import (
	"fmt"
	"strconv"
	"time"
)

// symbolicPerm is a mode as ls -l shows it after the type letter, e.g.
// rwxr-xr-x, for images whose stat(1) cannot print octal modes.
func symbolicPerm(mode uint64) string {
	const rwx = "rwx"
	b := []byte("---------")
	for i := 0; i < 9; i++ {
		if mode&(1<<(8-i)) != 0 {
			b[i] = rwx[i%3]
		}
	}
	special := []struct {
		bit uint64
		pos int
		set byte
	}{{0o4000, 2, 's'}, {0o2000, 5, 's'}, {0o1000, 8, 't'}}
	for _, s := range special {
		if mode&s.bit == 0 {
			continue
		}
		if b[s.pos] == 'x' {
			b[s.pos] = s.set
		} else {
			b[s.pos] = s.set - 'a' + 'A'
		}
	}
	return string(b)
}

// octalMode normalises "0755" to what stat -c %a prints ("755").
func octalMode(s string) (string, uint64, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 {
		return "", 0, fmt.Errorf("%q is not an octal permission such as 0755", s)
	}
	return strconv.FormatUint(v, 8), v, nil
}

// ceilSeconds rounds a duration up to whole seconds, for shell deadlines.
func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
