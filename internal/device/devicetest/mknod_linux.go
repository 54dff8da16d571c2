package devicetest

import (
	"errors"
	"syscall"
	"testing"
)

func mknod(t testing.TB, path string, major, minor uint32) {
	t.Helper()
	err := syscall.Mknod(path, syscall.S_IFCHR|0o600, int(mkdev(major, minor)))
	if errors.Is(err, syscall.EPERM) {
		t.Skipf("devicetest: making fake device nodes needs root (CAP_MKNOD): %v", err)
	}
	if err != nil {
		t.Fatalf("devicetest: mknod %s: %v", path, err)
	}
}

// mkdev encodes a Linux dev_t: the low 8 bits of minor, then 12 of major,
// then the rest of minor, then the rest of major.
func mkdev(major, minor uint32) uint64 {
	m, n := uint64(major), uint64(minor)
	return n&0xff | (m&0xfff)<<8 | (n&^0xff)<<12 | (m&^0xfff)<<32
}
