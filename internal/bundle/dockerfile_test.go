package bundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// foreignDockerfiles are Dockerfiles macabox never writes, each of which
// BuildKit would either hand to another frontend or read in a way the
// recorded build did not.
var foreignDockerfiles = map[string]string{
	"syntax directive":    "# syntax=example.com/evil/frontend:1\n" + sampleBundleDockerfile,
	"syntax after escape": "# escape=`\n# syntax=example.com/evil/frontend:1\n" + sampleBundleDockerfile,
	"check directive":     "# check=skip=all\n" + sampleBundleDockerfile,
	"shebang":             "#!/bin/true\n# syntax=example.com/evil/frontend:1\n" + sampleBundleDockerfile,
	"byte order mark":     "\ufeff# syntax=example.com/evil/frontend:1\n" + sampleBundleDockerfile,
	"// comment":          "// syntax=example.com/evil/frontend:1\n" + sampleBundleDockerfile,
	"JSON":                `{"syntax": "example.com/evil/frontend:1"}`,
	"no header":           "FROM scratch\n",
	"header not first":    "# hand-made\n" + sampleBundleDockerfile,
	"CRLF header":         strings.ReplaceAll(sampleBundleDockerfile, "\n", "\r\n"),
}

// TestVerifyRefusesForeignDockerfiles: a bundle whose Dockerfile is not one
// macabox rendered does not verify, even when SHA256SUMS lists it.
func TestVerifyRefusesForeignDockerfiles(t *testing.T) {
	for name, df := range foreignDockerfiles {
		t.Run(name, func(t *testing.T) {
			v, err := Verify(t.Context(), bundleWithDockerfile(t, df))
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(v.Problems, ProblemRefused, DockerfileName) {
				t.Errorf("problems %v, want the Dockerfile refused", v.Problems)
			}
		})
	}
	// An escape directive changes no frontend; the header follows it.
	v, err := Verify(t.Context(), bundleWithDockerfile(t, "# escape=`\n"+sampleBundleDockerfile))
	if err != nil || !v.OK() {
		t.Errorf("a Dockerfile with an escape directive before the header: %v %v", v.Problems, err)
	}
}

// bundleWithDockerfile writes the sample bundle with another Dockerfile,
// listed in SHA256SUMS with its digest.
func bundleWithDockerfile(t *testing.T, df string) string {
	t.Helper()
	files := sampleFiles()
	for i := range files {
		if files[i].Name == DockerfileName {
			files[i].Data = []byte(df)
		}
	}
	all, err := withSums(files)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := writeDir(dir, all, 1700000000); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBuildScriptRefusesForeignDockerfiles: build.sh refuses, before it
// runs any builder, a Dockerfile that does not start as macabox's do, so
// none can select its own frontend through buildctl, docker buildx or
// docker build.
func TestBuildScriptRefusesForeignDockerfiles(t *testing.T) {
	files, _, err := probeContents(t).files()
	if err != nil {
		t.Fatal(err)
	}
	var script, genuine []byte
	for _, f := range files {
		switch f.Name {
		case "build.sh":
			script = f.Data
		case DockerfileName:
			genuine = f.Data
		}
	}
	run := func(t *testing.T, df []byte, mode string) (string, int) {
		t.Helper()
		dir := t.TempDir()
		// A docker that only says it was run: the check comes before it.
		fake := []byte("#!/bin/sh\necho docker was run\nexit 3\n")
		for name, data := range map[string][]byte{"build.sh": script, DockerfileName: df, "docker": fake} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("sh", "build.sh", mode, "--buildctl", filepath.Join(dir, "no-buildctl"))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	for name, df := range foreignDockerfiles {
		for _, mode := range []string{"--buildx", "--docker", "--load"} {
			out, code := run(t, []byte(df), mode)
			if code != 2 || !strings.Contains(out, "Dockerfile") || strings.Contains(out, "docker was run") {
				t.Errorf("%s, build.sh %s: exit %d:\n%s", name, mode, code, out)
			}
		}
	}
	out, code := run(t, genuine, "--load")
	if code != 2 || !strings.Contains(out, "buildctl not found") {
		t.Errorf("the genuine Dockerfile did not get past the check: exit %d:\n%s", code, out)
	}
	out, code = run(t, append([]byte("# escape=`\n"), genuine...), "--load")
	if code != 2 || !strings.Contains(out, "buildctl not found") {
		t.Errorf("an escape directive before the header did not get past the check: exit %d:\n%s", code, out)
	}
}

// TestDockerfileHeaderIsWhatPlanWrites: the header verify and build.sh look
// for is the first line of every Dockerfile the planner renders.
func TestDockerfileHeaderIsWhatPlanWrites(t *testing.T) {
	df := string(probeContents(t).Rendered.Dockerfile)
	if first, _, _ := strings.Cut(df, "\n"); first != dockerfileHeader {
		t.Errorf("the rendered Dockerfile starts with %q, bundles expect %q", first, dockerfileHeader)
	}
	if !strings.HasPrefix(sampleBundleDockerfile, dockerfileHeader+"\n") {
		t.Error("the sample bundle's Dockerfile does not start with the header")
	}
}
