package device

import (
	"fmt"
	"io/fs"
	"syscall"
)

// nodeNumbers decodes a device node's major, minor and group from stat.
func nodeNumbers(fi fs.FileInfo) (major, minor, gid uint32, err error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0, fmt.Errorf("no stat data")
	}
	dev := uint64(st.Rdev) //nolint:unconvert // Rdev is 32 bits on some architectures.
	// Linux's dev_t keeps the old 8:8 encoding in the low 16 bits and puts
	// the rest of major (12+20 bits) and minor (8+24 bits) around it.
	major = uint32((dev&0x00000000000fff00)>>8 | (dev&0xfffff00000000000)>>32)
	minor = uint32(dev&0x00000000000000ff | (dev&0x00000ffffff00000)>>12)
	return major, minor, st.Gid, nil
}
