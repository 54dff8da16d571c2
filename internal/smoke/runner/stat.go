package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// parseStat reads smoke.StatScript's output, one line per path.
func parseStat(paths []string, out string) ([]smoke.FileState, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(paths) {
		return nil, fmt.Errorf("examining %v: expected %d lines, got %q", paths, len(paths), out)
	}
	files := make([]smoke.FileState, len(paths))
	for i, l := range lines {
		f := smoke.FileState{Path: paths[i]}
		fields := strings.Fields(l)
		switch {
		case len(fields) == 1 && fields[0] == "missing":
		case len(fields) == 5 && fields[0] == "exists":
			f.Exists, f.Type, f.NonEmpty = true, fields[1], fields[2] == "nonempty"
			if p, err := strconv.ParseUint(fields[3], 8, 32); err == nil {
				f.Perm, f.PermKnown = uint32(p)&07777, true
			} else if p, ok := permFromLs(fields[4]); ok {
				f.Perm, f.PermKnown = p, true
			}
		default:
			return nil, fmt.Errorf("examining %s: unexpected answer %q", paths[i], l)
		}
		files[i] = f
	}
	return files, nil
}

// permFromLs reads permission bits from ls -l's mode column, e.g. "crw-rw----"
// or "drwxrwxrwt", for images without stat(1).
func permFromLs(s string) (uint32, bool) {
	if len(s) < 10 {
		return 0, false
	}
	var perm uint32
	specials := [3]uint32{04000, 02000, 01000} // setuid, setgid, sticky
	for i := range 3 {
		r, w, x := s[1+3*i], s[2+3*i], s[3+3*i]
		shift := uint32(6 - 3*i)
		switch r {
		case 'r':
			perm |= 4 << shift
		case '-':
		default:
			return 0, false
		}
		switch w {
		case 'w':
			perm |= 2 << shift
		case '-':
		default:
			return 0, false
		}
		switch x {
		case 'x':
			perm |= 1 << shift
		case 's', 't':
			perm |= 1<<shift | specials[i]
		case 'S', 'T':
			perm |= specials[i]
		case '-':
		default:
			return 0, false
		}
	}
	return perm, true
}
