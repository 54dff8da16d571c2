package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// TestInitThenBuildOnTheSimulatedBase is a contributor's first minutes, in
// an empty directory with no clone of macabox: init a project, then build
// and smoke-test its stack on the simulated base, an image of the catalog.
func TestInitThenBuildOnTheSimulatedBase(t *testing.T) {
	env := testenv.RequireDocker(t)
	t.Setenv(pipeline.RootEnv, "")
	t.Chdir(t.TempDir())
	code, stdout, stderr := run(t, "init", "hi")
	if code != 0 {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	for _, f := range []string{"recipes/hi/hi.yaml", "docs/hi.md", "docs/hi.zh-CN.md", "recipes/recipe.schema.json"} {
		if !strings.Contains(stdout, filepath.FromSlash(f)+"\n") {
			t.Errorf("init does not say it wrote %s:\n%s", f, stdout)
		}
	}
	if !strings.Contains(stderr, "macabox build hi-maca-sim --test") {
		t.Errorf("init does not say what to run next:\n%s", stderr)
	}
	entries := listJSON(t)
	if s := entries["hi-maca-sim"]; len(s) != 1 || s[0].Base != "maca-sim" || s[0].Origin != "local" {
		t.Errorf("the stack is %+v", s)
	}
	if b := entries["maca-sim"]; len(b) != 1 || !strings.HasPrefix(b[0].Origin, "catalog@") {
		t.Errorf("its base is %+v, not the catalog's image", b)
	}
	if code, _, stderr := run(t, "validate"); code != 0 || !strings.Contains(stderr, "3 recipes valid") {
		t.Errorf("validate: exit %d\n%s", code, stderr)
	}

	tag := fmt.Sprintf("macabox.local/init-hi:%d", os.Getpid())
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
	code, stdout, stderr = run(t, "build", "hi-maca-sim", "--test", "--device", "none", "--progress", "quiet",
		"--builder", env.BuildkitHost, "--tag", tag,
		"--base", env.MacaSimRef+"=oci-layout://"+env.OCIStore+"@"+env.MacaSimDigest)
	if code != 0 {
		t.Fatalf("build --test: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"PASS  hi is installed", "PASS  HI_HOME is set", "SKIP  hi sees a MetaX GPU"} {
		if !strings.Contains(stdout+stderr, want) {
			t.Errorf("the smoke report lacks %q:\n%s\n%s", want, stdout, stderr)
		}
	}
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=org.ccf-ai-infra.macabox.target=hi-maca-sim").Output()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("containers left behind: %q, %v", out, err)
	}
}
