package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// TestExportVerifyReproduce drives the three bundle verbs as a contributor
// and a reviewer would, with their exit codes and reports.
func TestExportVerifyReproduce(t *testing.T) {
	env := testenv.RequireDocker(t)
	dir := testenv.TempDir(t)
	tarball := filepath.Join(dir, "demo.tar.gz")
	base := env.MacaSimRef + "=oci-layout://" + env.OCIStore + "@" + env.MacaSimDigest
	tag, image := "macabox-cli-test/demo:"+filepath.Base(dir), "macabox-cli-test/reproduced:"+filepath.Base(dir)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag, image).Run() })

	code, stdout, stderr := run(t, "--root", repoRoot, "export", "demo", "-o", tarball, "--builder", env.BuildkitHost,
		"--base", base, "--source-date-epoch", "1735689600", "--progress", "quiet", "--tag", tag)
	if code != 0 {
		t.Fatalf("export exited %d:\n%s", code, stderr)
	}
	digest := strings.TrimSpace(stdout)
	if !strings.HasPrefix(digest, "sha256:") || !strings.Contains(stderr, "SIMULATED") {
		t.Errorf("export printed %q, stderr %q", stdout, stderr)
	}

	code, stdout, _ = run(t, "verify", tarball)
	if code != 0 || !strings.Contains(stdout, "ok: ") {
		t.Fatalf("verify exited %d: %s", code, stdout)
	}

	// Without the base it came from, reproduce cannot start: exit 2.
	code, _, stderr = run(t, "reproduce", tarball, "--builder", env.BuildkitHost, "--device", "none", "--progress", "quiet")
	if code != 2 || !strings.Contains(stderr, "--base "+env.MacaSimRef+"=oci-layout://DIR@"+env.MacaSimDigest) {
		t.Errorf("reproduce without --base exited %d: %s", code, stderr)
	}

	md, js, junit := filepath.Join(dir, "r.md"), filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, stdout, stderr = run(t, "reproduce", tarball, "--builder", env.BuildkitHost, "--base", base,
		"--device", "none", "--progress", "quiet", "--image", image,
		"--report", "md="+md, "--report", "json="+js, "--report", "junit="+junit)
	if code != 0 {
		t.Fatalf("reproduce exited %d:\n%s\n%s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "reproduced: ") {
		t.Errorf("stdout %q", stdout)
	}
	var rep struct {
		Verdict  string `json:"verdict"`
		OK       bool   `json:"ok"`
		Expected struct {
			ManifestDigest string `json:"manifestDigest"`
		} `json:"expected"`
		Actual struct {
			ManifestDigest string `json:"manifestDigest"`
		} `json:"actual"`
		Smoke struct {
			Schema string `json:"schema"`
		} `json:"smoke"`
	}
	data, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Actual.ManifestDigest != digest || rep.Expected.ManifestDigest != digest || rep.Smoke.Schema != "macabox.smoke/v1" {
		t.Errorf("JSON report: %+v", rep)
	}
	for _, p := range []string{md, junit} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("report %s: %v", p, err)
		}
	}
}

func TestVerifyExitCodes(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "b")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sums := "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7  a.txt\n"
	if err := os.WriteFile(filepath.Join(bundle, "SHA256SUMS"), []byte(sums), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := run(t, "verify", bundle); code != 0 {
		t.Fatalf("intact bundle: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := os.WriteFile(filepath.Join(bundle, "a.txt"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "new.txt"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := run(t, "verify", bundle, "--json")
	var v struct {
		OK       bool `json:"ok"`
		Problems []struct{ Kind, Path string }
	}
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, stdout)
	}
	if code != 1 || v.OK || len(v.Problems) != 2 || v.Problems[0].Path != "a.txt" || v.Problems[1].Path != "new.txt" {
		t.Errorf("tampered bundle: exit %d, %+v", code, v)
	}
	if code, _, stderr := run(t, "verify", filepath.Join(dir, "missing.tar.gz")); code != 2 {
		t.Errorf("missing bundle: exit %d: %s", code, stderr)
	}
}

// TestExportRefusesBeforeBuilding: a destination that cannot take a bundle
// is refused before any builder is contacted.
func TestExportRefusesBeforeBuilding(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "leftover"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "--root", repoRoot, "export", "demo", "-o", dir, "--builder", "unix:///nonexistent.sock")
	if code != 2 || !strings.Contains(stderr, "not empty") {
		t.Errorf("export into a non-empty directory: exit %d: %s", code, stderr)
	}
	code, _, stderr = run(t, "--root", repoRoot, "export", "demo", "--builder", "unix:///nonexistent.sock")
	if code != 2 || !strings.Contains(stderr, "output") {
		t.Errorf("export without -o: exit %d: %s", code, stderr)
	}
}
