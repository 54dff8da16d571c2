package smokesh

import "testing"

func TestSymbolicPerm(t *testing.T) {
	for mode, want := range map[uint64]string{0o755: "rwxr-xr-x", 0o644: "rw-r--r--", 0o4755: "rwsr-xr-x", 0o1777: "rwxrwxrwt", 0o2644: "rw-r-Sr--"} {
		if got := symbolicPerm(mode); got != want {
			t.Errorf("symbolicPerm(%o) = %s, want %s", mode, got, want)
		}
	}
}
