//go:build unix

package pipeline

import (
	"os"
	"syscall"
)

// ownTree refuses a recipe tree found by searching that belongs to another
// user: its recipes would run on this user's builder with this user's
// secrets. Root's trees are trusted, as root could change this user's anyway.
func ownTree(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return cannot("recipe root %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := uint32(os.Getuid()); st.Uid != uid && st.Uid != 0 {
		return cannot("the recipe tree %s belongs to user id %d, not to you; pass --root %s if you trust it", dir, st.Uid, dir)
	}
	return nil
}
