//go:build unix

package world

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lock takes an exclusive flock on run/testenv.lock, the lock the shell
// version of scripts/testenv.sh took, so that two commands never start the
// same daemon or write the same fixture at once. The descriptor is
// close-on-exec, so no daemon started meanwhile inherits the lock.
func lock(runDir string, wait time.Duration, logf func(string, ...any)) (unlock func(), err error) {
	path := filepath.Join(runDir, "testenv.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for waited := false; ; waited = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !time.Now().Before(deadline) {
			f.Close()
			return nil, fmt.Errorf("another scripts/testenv.sh holds %s for more than %v; let it finish, then run this again", path, wait)
		}
		if !waited {
			logf("waiting for another scripts/testenv.sh, which holds %s", path)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
