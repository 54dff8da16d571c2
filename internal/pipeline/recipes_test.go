package pipeline

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
	"github.com/ccf-ai-infra/macabox/internal/smoke/smokesh"
)

// copyImage is an image whose one copy step takes src (a YAML flow value)
// from beside the recipe.
func copyImage(src string) string {
	return "apiVersion: macabox/v1\nkind: Image\nname: img\nfrom: scratch\nsteps:\n  - copy: {src: [" + src + "], dest: /dst/}\n"
}

// TestValidateRefusesWhatPlanRefuses: every copy source that planning (and
// so export) refuses, validate refuses too, with the same message at the
// same position, so that CI's validate run catches it.
func TestValidateRefusesWhatPlanRefuses(t *testing.T) {
	cases := []struct {
		name, src string
		setup     func(t *testing.T, dir string)
	}{
		{"link leaving the folder, inside a copied folder", "files", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "files", "ok.txt"))
			link(t, "/etc/passwd", filepath.Join(dir, "files", "passwd"))
		}},
		{"line break in a name inside a copied folder", "files", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "files", "a\ntouch PWNED #"))
		}},
		{"bidi control in a name inside a copied folder", "files", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "files", "evil\u202etxt.sh"))
		}},
		{"named pipe inside a copied folder", "files", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "files", "ok.txt"))
			fifo(t, filepath.Join(dir, "files", "pipe"))
		}},
		{"named pipe named directly", "pipe", func(t *testing.T, dir string) {
			fifo(t, filepath.Join(dir, "pipe"))
		}},
		{"link to a folder", "linked", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "files", "ok.txt"))
			link(t, "files", filepath.Join(dir, "linked"))
		}},
		{"pattern matching a name COPY reads as a pattern", `"files/*"`, func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "files", `back\slash`))
		}},
		{"pattern matching a name with surrounding spaces", `"files/*"`, func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "files", " spaced "))
		}},
		{"empty source", `""`, func(t *testing.T, dir string) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			recipeFile := filepath.Join(dir, "img.yaml")
			if err := os.WriteFile(recipeFile, []byte(copyImage(c.src)), 0o644); err != nil {
				t.Fatal(err)
			}
			c.setup(t, dir)
			set, err := recipe.LoadPaths(recipeFile)
			if err != nil {
				t.Fatal(err)
			}
			validated := srcProblems(recipe.Validate(set, recipe.Rules{Size: device.ParseSize}))
			_, err = plan.New(set, "img", plan.Options{})
			var planErrs recipe.Errors
			if !errors.As(err, &planErrs) {
				t.Fatalf("plan.New = %v, want the copy source refused", err)
			}
			planned := srcProblems(planErrs)
			if len(planned) == 0 {
				t.Fatalf("plan accepts the case; it needs no check:\n%v", planErrs)
			}
			if !slices.Equal(validated, planned) {
				t.Errorf("validate reports\n%s\nplan reports\n%s", strings.Join(validated, "\n"), strings.Join(planned, "\n"))
			}
			for _, p := range validated {
				if !strings.HasPrefix(p, recipeFile+":6:18: ") {
					t.Errorf("%q is not at the copy source", p)
				}
			}
		})
	}
}

func srcProblems(errs recipe.Errors) []string {
	var out []string
	for _, e := range errs.Sorted() {
		if e.Field == "src" {
			out = append(out, e.Error())
		}
	}
	return out
}

func write(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func fifo(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTestNameEndingInBackslashKeepsSmokeShValid: a smoke test whose name
// ends in a backslash goes from the recipe through the plan into smoke.sh,
// and the script still passes shellcheck (the quoting used to leave \' in
// it, which shellcheck rejects).
func TestTestNameEndingInBackslashKeepsSmokeShValid(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatalf("shellcheck is needed (make test installs it): %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "img.yaml")
	src := `apiVersion: macabox/v1
kind: Image
name: img
from: scratch
smoke:
  - {name: 'ends in \', run: "true"}
  - {name: 'C:\dir\', file: /etc/os-release, expect: {content: x}}
  - {name: '\\', variable: PATH}
  - {name: "quote\\'", run: "echo \\\\"}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := recipe.LoadPaths(file)
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatal(errs)
	}
	p, err := plan.New(set, "img", plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tests []smoke.Test
	for _, st := range p.Smoke {
		tests = append(tests, st.Test)
	}
	if len(tests) != 4 || tests[0].Name != `ends in \` {
		t.Fatalf("tests = %+v", tests)
	}
	script, err := smokesh.Render(smokesh.Script{Target: p.Target, Tests: tests})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "smoke.sh")
	if err := os.WriteFile(path, script, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sc, "--shell=sh", "--severity=style", path).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
		t.Errorf("sh -n: %v\n%s", err, out)
	}
}
