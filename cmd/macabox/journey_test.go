package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// shellBlocks are the ```sh blocks of a Markdown page, in order.
func shellBlocks(t *testing.T, page string) []string {
	t.Helper()
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```sh\n(.*?)^```$").FindAllSubmatch(data, -1) {
		blocks = append(blocks, string(m[1]))
	}
	return blocks
}

// withoutComments drops the comment lines of shell text, which a
// translation may change.
func withoutComments(block string) string {
	var keep []string
	for _, l := range strings.Split(block, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestContributorJourney runs the commands of docs/contributing-a-port.md,
// in order, in an empty directory against the test world, with the macabox
// of this checkout: the page cannot drift from the tool. Its Chinese version
// must hold the same commands.
func TestContributorJourney(t *testing.T) {
	testenv.RequireDocker(t)
	const page = "../../docs/contributing-a-port.md"
	blocks := shellBlocks(t, page)
	if len(blocks) < 8 {
		t.Fatalf("%s has %d sh blocks; the journey has more steps", page, len(blocks))
	}
	zh := shellBlocks(t, "../../docs/contributing-a-port.zh-CN.md")
	if !slices.EqualFunc(blocks, zh, func(a, b string) bool { return withoutComments(a) == withoutComments(b) }) {
		t.Errorf("the Chinese page's commands differ from the English page's")
	}

	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "macabox"), ".").CombinedOutput(); err != nil {
		t.Fatalf("building macabox: %v\n%s", err, out)
	}
	work := t.TempDir()
	for _, image := range []string{"macabox.local/hello-maca-sim:latest", "macabox.local/reproduce-hello-maca-sim:latest"} {
		t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", image).Run() })
	}
	script := "set -euo pipefail\n" + strings.Join(blocks, "\n")
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"MACABOX_ROOT=",
		"GIT_AUTHOR_NAME=Contributor", "GIT_AUTHOR_EMAIL=contributor@example.org",
		"GIT_COMMITTER_NAME=Contributor", "GIT_COMMITTER_EMAIL=contributor@example.org",
		"BUILDKIT_HOST=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("the page's commands failed: %v\n%s", err, tail(out.String(), 80))
	}

	repo := filepath.Join(work, "hello-maca")
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(repo, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if r := read("reproduce.md"); !strings.Contains(r, "**✅ reproduced**") || !strings.Contains(r, "hello reads the MACA version") {
		t.Errorf("reproduce.md:\n%s", tail(r, 40))
	}
	if issue := read("ISSUE.md"); !strings.Contains(issue, "## 赛题名称\n\nhello on MetaX C500 + MACA\n") || !strings.Contains(issue, "hello-maca README") {
		t.Errorf("ISSUE.md does not carry the recipe's about: block:\n%s", tail(issue, 60))
	}
	if !strings.Contains(read("recipes/hello/hello-maca-sim.lock.yaml"), "target: hello-maca-sim") {
		t.Error("the lock is not where the page says")
	}
	tar := exec.Command("tar", "-xzOf", "hello-bundle.tar.gz", "expected.json")
	tar.Dir = repo
	data, err := tar.Output()
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		EpochSource string `json:"epochSource"`
		Macabox     struct{ Version, Catalog string }
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	if exp.EpochSource != "git" || exp.Macabox.Version == "" || !strings.HasPrefix(exp.Macabox.Catalog, "sha256:") {
		t.Errorf("expected.json: %+v", exp)
	}
	ps, err := exec.Command("docker", "ps", "-aq", "--filter", "label=org.ccf-ai-infra.macabox.target=hello-maca-sim").Output()
	if err != nil || len(bytes.TrimSpace(ps)) > 0 {
		t.Errorf("containers left behind: %q, %v", ps, err)
	}
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[%d lines before]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
