package builder

import (
	"fmt"
	"os"
	"syscall"
)

// changeIdentity is the device, inode and change time of fi.
func changeIdentity(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf(":%d:%d:%d.%d", st.Dev, st.Ino, st.Ctim.Sec, st.Ctim.Nsec)
}
