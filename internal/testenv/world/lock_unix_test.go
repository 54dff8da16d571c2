//go:build unix

package world

import (
	"strings"
	"testing"
	"time"
)

func TestLockExcludesASecondHolder(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lock(dir, time.Second, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file, so a second open in this process
	// contends as another process would.
	_, err = lock(dir, 300*time.Millisecond, t.Logf)
	if err == nil || !strings.Contains(err.Error(), dir+"/testenv.lock") || !strings.Contains(err.Error(), "another scripts/testenv.sh") {
		t.Fatalf("second lock: %v, want a timeout naming the lock file", err)
	}
	unlock()
	again, err := lock(dir, time.Second, t.Logf)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again()
}
