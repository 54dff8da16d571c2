package world

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// evalEnv runs the env lines through bash's eval, as developers and the
// scripts do, and returns the MACABOX_TEST_* variables that result.
func evalEnv(t *testing.T, lines string) map[string]string {
	t.Helper()
	cmd := exec.Command("bash", "-c", `MACABOX_TEST_DOCKER_HOST=stale; eval "$(cat)"; env -0`)
	cmd.Stdin = strings.NewReader(lines)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, lines)
	}
	vars := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "MACABOX_TEST_") {
			vars[k] = v
		}
	}
	return vars
}

func TestEnvGivesEveryVariableTestsRead(t *testing.T) {
	w, _ := testWorld(t)
	digest := "sha256:" + repeat64("d")
	for _, f := range fixtures {
		if err := w.statePut(f.name, "k", digest); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := writeEnv(&out, w.envVars("unix:///var/run/docker.sock"), time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(out.String(), "\n"); first != "# macabox test environment, from scripts/testenv.sh (1970-01-01T00:00:00Z)" {
		t.Errorf("first line %q", first)
	}
	vars := evalEnv(t, out.String())
	env, problems := testenv.Lookup(func(k string) string { return vars[k] })
	if len(problems) > 0 {
		t.Fatalf("testenv.Lookup: %v\nenv output:\n%s", problems, out.String())
	}
	for _, c := range []struct{ name, got, want string }{
		{"buildkit host", env.BuildkitHost, "unix://" + w.Cache + "/run/buildkitd.sock"},
		{"registry", env.Registry, "127.0.0.1:5000"},
		{"debian digest", env.DebianDigest, digest},
		{"maca-sim ref", env.MacaSimRef, "macabox.test/maca-sim:3.0.0.5"},
		{"registry ref", env.MacaSimRegistryRef, "127.0.0.1:5000/macabox/maca-sim:3.0.0.5"},
		{"docker host", env.DockerHost, "unix:///var/run/docker.sock"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(vars) != len(w.envVars("")) {
		t.Errorf("env sets %d variables, envVars lists %d", len(vars), len(w.envVars("")))
	}
}

// Without Docker the variable is unset, not left from an earlier eval.
func TestEnvUnsetsTheDockerHostWithoutDocker(t *testing.T) {
	w, _ := testWorld(t)
	var out bytes.Buffer
	if err := writeEnv(&out, w.envVars(""), time.Now()); err != nil {
		t.Fatal(err)
	}
	if v, ok := evalEnv(t, out.String())["MACABOX_TEST_DOCKER_HOST"]; ok {
		t.Errorf("MACABOX_TEST_DOCKER_HOST=%q after eval, want it unset", v)
	}
}

func TestShellQuoteSurvivesEval(t *testing.T) {
	values := []string{
		"/plain/path", "unix:///a/b.sock", "127.0.0.1:5000/x/y:tag", "sha256:ab",
		"with space", "it's", `back\slash`, "$(touch /tmp/pwned)", "`x`", "a\nb", "~home", "#hash", "a,b", "",
	}
	var lines strings.Builder
	for i, v := range values {
		lines.WriteString("export MACABOX_TEST_V" + string(rune('A'+i)) + "=" + shellQuote(v) + "\n")
	}
	vars := evalEnv(t, lines.String())
	for i, v := range values {
		if got := vars["MACABOX_TEST_V"+string(rune('A'+i))]; got != v {
			t.Errorf("%q came back as %q (quoted %s)", v, got, shellQuote(v))
		}
	}
	// What bash's printf %q leaves alone stays readable.
	for _, v := range values[:4] {
		if shellQuote(v) != v {
			t.Errorf("shellQuote(%q) = %s, want it unquoted", v, shellQuote(v))
		}
	}
}
