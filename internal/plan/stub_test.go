package plan

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The argv stub: the test binary itself, linked under the names of the
// programs generated commands call (apt-get, git, rm, ...). Run with
// stubLogEnv set, it appends what it was called with to that file instead
// of doing anything, so rendered commands can be executed on this machine
// without touching it.

const stubLogEnv = "MACABOX_PLAN_ARGV_LOG"

// stubRecord is one call of a stubbed program.
type stubRecord struct {
	Name  string   `json:"name"`
	Args  []string `json:"args"`
	Stdin string   `json:"stdin,omitempty"`
	// Constraints is the content of the file passed to pip's --constraint.
	Constraints string `json:"constraints,omitempty"`
}

// stubbed lists the programs generated commands run; python3 stands for
// the interpreter of pip steps.
var stubbed = []string{"apt-get", "dnf", "yum", "git", "rm", "find", "chmod", "tee", "argv", "python3"}

func TestMain(m *testing.M) {
	if log := os.Getenv(stubLogEnv); log != "" {
		os.Exit(runStub(log))
	}
	os.Exit(m.Run())
}

func runStub(log string) int {
	rec := stubRecord{Name: filepath.Base(os.Args[0]), Args: os.Args[1:]}
	if rec.Name == "tee" {
		data, _ := io.ReadAll(os.Stdin)
		rec.Stdin = string(data)
	}
	for i, a := range rec.Args {
		if a == "--constraint" && i+1 < len(rec.Args) {
			data, _ := os.ReadFile(rec.Args[i+1])
			rec.Constraints = string(data)
		}
	}
	if rec.Name == "python3" && len(rec.Args) > 0 && rec.Args[0] == "-c" {
		// The keep helper: answer as if every distribution were installed.
		for _, n := range rec.Args[2:] {
			os.Stdout.WriteString(n + "==1.0+stub\n")
		}
	}
	f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return 99
	}
	defer f.Close()
	if err := json.NewEncoder(f).Encode(rec); err != nil {
		return 99
	}
	return 0
}

// stubDir makes a folder of stub links and returns it.
func stubDir(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range stubbed {
		if err := os.Symlink(self, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readStubLog returns the calls recorded in log, in order.
func readStubLog(t *testing.T, log string) []stubRecord {
	t.Helper()
	data, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []stubRecord
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r stubRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("stub log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}
