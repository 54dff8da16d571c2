package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder stands in for *testing.T to observe how Require fails. Its
// Fatalf returns instead of stopping the goroutine, which require allows
// for by returning right after.
type recorder struct {
	testing.TB
	fatals  []string
	skipped bool
}

func (r *recorder) Helper()                   {}
func (r *recorder) Failed() bool              { return len(r.fatals) > 0 }
func (r *recorder) Skip(...any)               { r.skipped = true }
func (r *recorder) Skipf(string, ...any)      { r.skipped = true }
func (r *recorder) SkipNow()                  { r.skipped = true }
func (r *recorder) Fatalf(f string, a ...any) { r.fatals = append(r.fatals, fmt.Sprintf(f, a...)) }

// world writes a plausible test world into a temp dir and returns its
// variables.
func world(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{
		{"buildkitd.sock", 0o600},
		{"buildkitd", 0o755},
		{"buildctl", 0o755},
		{"registry", 0o755},
		{"busybox", 0o755},
		{"oci/index.json", 0o644},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	digest := "sha256:" + strings.Repeat("ab", 32)
	return map[string]string{
		"MACABOX_TEST_BUILDKIT_HOST":        "unix://" + filepath.Join(dir, "buildkitd.sock"),
		"MACABOX_TEST_BUILDKITD":            filepath.Join(dir, "buildkitd"),
		"MACABOX_TEST_BUILDCTL":             filepath.Join(dir, "buildctl"),
		"MACABOX_TEST_REGISTRY":             "127.0.0.1:5000",
		"MACABOX_TEST_OCI_STORE":            filepath.Join(dir, "oci"),
		"MACABOX_TEST_DEBIAN_REF":           "macabox.test/debian:bookworm",
		"MACABOX_TEST_DEBIAN_DIGEST":        digest,
		"MACABOX_TEST_MACASIM_REF":          "macabox.test/maca-sim:3.0.0.5",
		"MACABOX_TEST_MACASIM_DIGEST":       digest,
		"MACABOX_TEST_DEBIAN_REGISTRY_REF":  "127.0.0.1:5000/macabox/debian:bookworm",
		"MACABOX_TEST_MACASIM_REGISTRY_REF": "127.0.0.1:5000/macabox/maca-sim:3.0.0.5",
		"MACABOX_TEST_REGISTRY_BIN":         filepath.Join(dir, "registry"),
		"MACABOX_TEST_BUSYBOX":              filepath.Join(dir, "busybox"),
	}
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLookupReadsEveryVariable(t *testing.T) {
	vars := world(t)
	vars["MACABOX_TEST_DOCKER_HOST"] = "unix:///var/run/docker.sock"
	env, problems := Lookup(getenv(vars))
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	for _, b := range bindings {
		if got := *b.field(&env); got != vars[b.name] {
			t.Errorf("%s: field has %q, want %q", b.name, got, vars[b.name])
		}
	}
}

func TestLookupNamesEachMissingVariable(t *testing.T) {
	_, problems := Lookup(getenv(nil))
	var want []string
	for _, b := range bindings {
		if !b.optional {
			want = append(want, b.name+" is not set")
		}
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}

func TestRequireFailsAndNamesTheFix(t *testing.T) {
	r := &recorder{}
	require(r, getenv(nil), os.Stat)
	if r.skipped {
		t.Error("Require skipped; it must fail so CI cannot pass without the test world")
	}
	if len(r.fatals) != 1 {
		t.Fatalf("Fatalf called %d times, want 1", len(r.fatals))
	}
	for _, want := range []string{
		"MACABOX_TEST_BUILDKIT_HOST is not set",
		"MACABOX_TEST_MACASIM_DIGEST is not set",
		"make test",
		`eval "$(scripts/testenv.sh env)"`,
	} {
		if !strings.Contains(r.fatals[0], want) {
			t.Errorf("message lacks %q:\n%s", want, r.fatals[0])
		}
	}
}

func TestRequireAcceptsACompleteWorld(t *testing.T) {
	r := &recorder{}
	env := require(r, getenv(world(t)), os.Stat)
	if len(r.fatals) != 0 {
		t.Fatalf("Fatalf: %v", r.fatals)
	}
	if env.DockerHost != "" {
		t.Errorf("DockerHost = %q, want empty when unset", env.DockerHost)
	}
}

func TestRequireCatchesAStaleWorld(t *testing.T) {
	vars := world(t)
	if err := os.Remove(strings.TrimPrefix(vars["MACABOX_TEST_BUILDKIT_HOST"], "unix://")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(vars["MACABOX_TEST_BUILDCTL"], 0o644); err != nil {
		t.Fatal(err)
	}
	vars["MACABOX_TEST_DEBIAN_DIGEST"] = "sha256:nothex"
	r := &recorder{}
	require(r, getenv(vars), os.Stat)
	if len(r.fatals) != 1 {
		t.Fatalf("Fatalf called %d times, want 1", len(r.fatals))
	}
	for _, want := range []string{"buildkitd socket", "buildctl is not executable", "MACABOX_TEST_DEBIAN_DIGEST", "make test"} {
		if !strings.Contains(r.fatals[0], want) {
			t.Errorf("message lacks %q:\n%s", want, r.fatals[0])
		}
	}
}

func TestRequireDockerNeedsDockerHost(t *testing.T) {
	t.Setenv("MACABOX_TEST_DOCKER_HOST", "")
	vars := world(t)
	for k, v := range vars {
		t.Setenv(k, v)
	}
	r := &recorder{}
	RequireDocker(r)
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "MACABOX_TEST_DOCKER_HOST") {
		t.Errorf("fatals = %q, want one naming MACABOX_TEST_DOCKER_HOST", r.fatals)
	}
}

func TestTempDirIsShortAndRemovedWithReadOnlyContent(t *testing.T) {
	var dir string
	t.Run("use", func(t *testing.T) {
		dir = TempDir(t)
		// Room for a socket name, below the 108-byte unix socket limit.
		if len(dir) > 64 {
			t.Errorf("TempDir path has %d bytes: %s", len(dir), dir)
		}
		ro := filepath.Join(dir, "a", "b")
		if err := os.MkdirAll(ro, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ro, "f"), []byte("x"), 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(ro, 0o555); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s still there after the test: %v", dir, err)
	}
}
