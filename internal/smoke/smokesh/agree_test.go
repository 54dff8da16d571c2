package smokesh_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/compare"
	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
	"github.com/ccf-ai-infra/macabox/internal/smoke/runner"
	"github.com/ccf-ai-infra/macabox/internal/smoke/smokesh"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

// recorded is a reference as the pipeline attaches it.
func recorded(output string, metrics map[string]compare.Stats) *smoke.Against {
	return &smoke.Against{Reference: &smoke.Reference{Output: output, HasOutput: output != "", Metrics: metrics, Source: "agree"}}
}

// agreement lists tests of every kind, each with the verdict both runners
// must give in the simulated MACA base without a device. A goOnly test is
// one smoke.sh cannot check: it must say so (SKIP naming macabox), never
// pass it.
var agreement = []struct {
	test   smoke.Test
	want   smoke.Status
	goOnly bool
}{
	{smoke.Test{Name: "command passes", Run: "echo hello; echo note >&2",
		Expect: &smoke.Expect{Stdout: `^hello$`, Stderr: "note", NotStderr: "(?i)error"}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "command fails", Run: "echo hello; exit 3", Expect: &smoke.Expect{Stdout: `^bye$`}}, smoke.StatusFailed, false},
	{smoke.Test{Name: "expected exit", Run: "exit 2", Expect: &smoke.Expect{Exit: intp(2)}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "unwanted output", Run: "echo ERROR: boom", Expect: &smoke.Expect{NotStdout: `ERROR`}}, smoke.StatusFailed, false},
	{smoke.Test{Name: "writes a file", Run: "mkdir -p /tmp/out && echo '# demo' > /tmp/out/demo.md",
		Expect: &smoke.Expect{Files: []string{"/tmp/out/demo.md"}}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "misses a file", Run: "true", Expect: &smoke.Expect{Files: []string{"/tmp/none.md"}}}, smoke.StatusFailed, false},
	{smoke.Test{Name: "maca version", File: "/opt/maca/Version.txt",
		Expect: &smoke.Expect{Content: `^Version:3\.0\.0\.5`, Mode: "0644"}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "wrong mode", File: "/opt/maca/Version.txt", Expect: &smoke.Expect{Mode: "0600"}}, smoke.StatusFailed, false},
	{smoke.Test{Name: "absent as wanted", File: "/opt/maca/nothing", Expect: &smoke.Expect{Exists: boolp(false)}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "missing file", File: "/opt/maca/nothing"}, smoke.StatusFailed, false},
	{smoke.Test{Name: "tmp is sticky", File: "/tmp", Expect: &smoke.Expect{Mode: "1777"}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "path set", Variable: "PATH", Expect: &smoke.Expect{Value: `/opt/conda/bin`}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "test env wins", Variable: "AGREE_VAR", Expect: &smoke.Expect{Value: `^from-test$`},
		Env: []smoke.EnvVar{{Name: "AGREE_VAR", Value: "from-test"}}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "unset as wanted", Variable: "NO_SUCH_VAR", Expect: &smoke.Expect{Exists: boolp(false)}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "unset", Variable: "NO_SUCH_VAR"}, smoke.StatusFailed, false},
	{smoke.Test{Name: "command env", Run: `printf '%s\n' "$AGREE_VAR"`, Env: []smoke.EnvVar{{Name: "AGREE_VAR", Value: "it's $x"}},
		Expect: &smoke.Expect{Stdout: `^it's \$x$`}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "times out", Run: "sleep 30", Timeout: "2s"}, smoke.StatusFailed, false},
	{smoke.Test{Name: "http service", Service: &smoke.Service{Run: "cd /opt/maca && exec python3 -m http.server 8090", ReadyTCP: 8090, Timeout: "20s"},
		Probe:  `python3 -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8090/Version.txt').read().decode())"`,
		Expect: &smoke.Expect{Stdout: `Version:3\.0`}}, smoke.StatusPassed, false},
	{smoke.Test{Name: "service exits", Service: &smoke.Service{Run: "exit 1", ReadyTCP: 8091, Timeout: "10s"}}, smoke.StatusFailed, false},
	{smoke.Test{Name: "needs a device", Run: "mx-smi -L", Needs: []string{"device"}}, smoke.StatusSkipped, false},
	{smoke.Test{Name: "known gap", Run: "exit 1", XFail: "no kernel for this operator yet"}, smoke.StatusXFail, false},
	{smoke.Test{Name: "gap closed", Run: "true", XFail: "no kernel for this operator yet"}, smoke.StatusFailed, false},
	{smoke.Test{Name: "matches the reference", Run: "echo loss 0.1239",
		Compare: &smoke.Compare{Mode: "numeric", Abs: 0.001}, Against: recorded("loss 0.1234", nil)}, smoke.StatusPassed, true},
	{smoke.Test{Name: "no reference", Run: "echo loss 0.1239", Compare: &smoke.Compare{Mode: "numeric", Abs: 0.001}}, smoke.StatusFailed, true},
	{smoke.Test{Name: "a file matches the reference", Run: "echo 'MACA runs it' > /tmp/agree.txt",
		Compare: &smoke.Compare{File: "/tmp/agree.txt", Mode: "similarity", Threshold: 0.6}, Against: recorded("CUDA runs it", nil)}, smoke.StatusPassed, true},
	{smoke.Test{Name: "a benchmark", Run: "echo 5 items/s", Bench: &smoke.Bench{Warmup: 1, Repeat: 2,
		Metrics: []smoke.Metric{{Name: "items/s", Regex: `(\d+) items/s`}}}, Against: recorded("", map[string]compare.Stats{"items/s": {N: 2, Median: 10}})},
		smoke.StatusPassed, true},
}

// TestRunnersAgree runs the same tests through the Go runner and through
// smoke.sh, in containers of the same image, and wants the same verdict
// from both, and the verdict each test was written to give.
func TestRunnersAgree(t *testing.T) {
	env := testenv.RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var tests []smoke.Test
	for i, a := range agreement {
		a.test.Origin = "agree.yaml:" + strconv.Itoa(i+1)
		tests = append(tests, a.test)
	}

	cli, err := docker.Connect(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	rep, err := runner.Run(ctx, runner.Options{
		Docker: cli, Target: "agree", Image: env.MacaSimRef, Tests: tests, NoDeviceReason: "no device in this test",
	})
	if err != nil {
		t.Fatalf("the Go runner: %v", err)
	}
	goRunner := map[string]smoke.Status{}
	for _, r := range rep.Results {
		goRunner[r.Name] = r.Status
	}

	script, err := smokesh.Render(smokesh.Script{Target: "agree", Tests: tests})
	if err != nil {
		t.Fatal(err)
	}
	shell, shellLines := runScript(t, env.MacaSimRef, script)

	unchecked := map[string]bool{}
	for _, c := range smokesh.Checks(tests) {
		unchecked[c.Name] = c.Unchecked != ""
	}
	for _, a := range agreement {
		name := a.test.Name
		if got := goRunner[name]; got != a.want {
			t.Errorf("%s: the Go runner says %s, want %s", name, got, a.want)
		}
		if a.goOnly {
			if !unchecked[name] || shell[name] != "SKIP" || !strings.Contains(shellLines[name], "only macabox does") {
				t.Errorf("%s: smoke.sh says %q (%q), want a SKIP that names macabox", name, shell[name], shellLines[name])
			}
			continue
		}
		if unchecked[name] {
			t.Errorf("%s: smoke.sh cannot check it, so the runners cannot be compared on it", name)
			continue
		}
		if got := shell[name]; got != verdictWord(a.want) {
			t.Errorf("%s: smoke.sh says %q, the Go runner %s", name, got, goRunner[name])
		}
	}
}

// verdictWord is how smoke.sh prints a status.
func verdictWord(s smoke.Status) string {
	switch s {
	case smoke.StatusPassed:
		return "PASS"
	case smoke.StatusSkipped:
		return "SKIP"
	case smoke.StatusXFail:
		return "XFAIL"
	}
	return "FAIL"
}

// runScript starts a container of image, runs script against it as a
// reviewer would, removes the container, and returns each test's verdict
// and the line that gave it.
func runScript(t *testing.T, image string, script []byte) (map[string]string, map[string]string) {
	t.Helper()
	raw := make([]byte, 4)
	_, _ = rand.Read(raw)
	name := "macabox-agree-" + hex.EncodeToString(raw)
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", name).Run() })
	if out, err := exec.Command("docker", "run", "-d", "--init", "--name", name, "--entrypoint", "/bin/sh",
		image, "-c", smoke.KeepAliveScript).CombinedOutput(); err != nil {
		t.Fatalf("docker run: %v: %s", err, out)
	}
	path := filepath.Join(t.TempDir(), "smoke.sh")
	if err := os.WriteFile(path, script, 0o755); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("sh", path, name).CombinedOutput()
	t.Logf("smoke.sh:\n%s", out)
	verdicts, lines := map[string]string{}, map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		word, rest, ok := strings.Cut(line, " ")
		rest = strings.TrimLeft(rest, " ")
		if !ok || (word != "PASS" && word != "FAIL" && word != "SKIP" && word != "XFAIL") {
			continue
		}
		for _, a := range agreement {
			if rest == a.test.Name || strings.HasPrefix(rest, a.test.Name+" (") || strings.HasPrefix(rest, a.test.Name+":") {
				verdicts[a.test.Name], lines[a.test.Name] = word, line
			}
		}
	}
	return verdicts, lines
}
