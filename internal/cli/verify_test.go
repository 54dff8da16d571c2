package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyPrintsNamesAsText: names and link targets from a bundle reach
// the terminal as text: no escape sequence, no bidirectional override, no
// line a bundle wrote itself; and --json stays valid with them.
func TestVerifyPrintsNamesAsText(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"SHA256SUMS": "",
		"title\x1b]0;pwned\x07\x1b[2J\x1b[32mok\x1b[0m": "x",
		"bidi-\u202etxt.exe":                            "x",
	})
	if err := os.Symlink("x\n\nok: 15 files match SHA256SUMS, and there is no other file", filepath.Join(dir, "link\nok: spoofed")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "verify", dir)
	if code != 1 {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
	for _, out := range []string{stdout, stderr} {
		if strings.ContainsAny(out, "\x1b\x07\u202e") {
			t.Errorf("raw control characters reached the terminal: %q", out)
		}
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Errorf("%d lines for 3 problems: %q", len(lines), stdout)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "added: ") && !strings.HasPrefix(l, "refused: ") {
			t.Errorf("a line the bundle wrote: %q", l)
		}
	}
	code, stdout, _ = run(t, "verify", "--json", dir)
	var v struct{ Problems []struct{ Path string } }
	if err := json.Unmarshal([]byte(stdout), &v); err != nil || code != 1 || len(v.Problems) != 3 {
		t.Errorf("--json: exit %d, %v: %s", code, err, stdout)
	}
	if strings.ContainsAny(stdout, "\x1b\u202e") {
		t.Errorf("--json carries raw control characters: %q", stdout)
	}
}
