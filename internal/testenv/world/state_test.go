package world

import (
	"os"
	"testing"
)

func TestStateReadsWhatTheShellVersionWrote(t *testing.T) {
	w, _ := testWorld(t)
	// printf '%s\n' "key=..." "digest=..." in the shell version.
	if err := os.WriteFile(w.stateFile("maca-sim"), []byte("key=9e874e4c05dd570b\ndigest=sha256:ed6d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := w.stateGet("maca-sim", "key"); got != "9e874e4c05dd570b" {
		t.Errorf("key = %q", got)
	}
	if got := w.stateGet("maca-sim", "digest"); got != "sha256:ed6d" {
		t.Errorf("digest = %q", got)
	}
	if got := w.stateGet("maca-sim", "other"); got != "" {
		t.Errorf("unknown field = %q, want empty", got)
	}
	if got := w.stateGet("debian", "digest"); got != "" {
		t.Errorf("digest of a fixture without state = %q, want empty", got)
	}
}

func TestStatePutReplacesTheState(t *testing.T) {
	w, _ := testWorld(t)
	for _, kd := range [][2]string{{"k1", "sha256:1"}, {"k2", "sha256:2"}} {
		if err := w.statePut("debian", kd[0], kd[1]); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(w.stateFile("debian"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "key=k2\ndigest=sha256:2\n" {
		t.Errorf("state file %q", data)
	}
}
