package world

import (
	"os"
	"path/filepath"
	"strings"
)

// A fixture's state file, fixtures/NAME.state, holds key=... and
// digest=... lines: the cache key its image was built from and the
// manifest digest it got.

func (w *World) stateFile(fixture string) string {
	return filepath.Join(w.fixtureDir(), fixture+".state")
}

// stateGet is the value of field in fixture's state, or "".
func (w *World) stateGet(fixture, field string) string {
	data, err := os.ReadFile(w.stateFile(fixture))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == field {
			return v
		}
	}
	return ""
}

// statePut replaces fixture's state with key and digest.
func (w *World) statePut(fixture, key, digest string) error {
	return writeFileAtomic(w.stateFile(fixture), "key="+key+"\ndigest="+digest+"\n")
}

// writeFileAtomic never leaves a half-written file for a concurrent reader
// (`env` does not take the lock).
func writeFileAtomic(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
