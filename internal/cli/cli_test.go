package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// run executes macabox in-process with args and returns exit code and streams.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code = Execute(ctx, args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

const repoRoot = "../.."

func TestValidateProjectRecipes(t *testing.T) {
	code, _, stderr := run(t, "validate", "--root", repoRoot)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "recipes valid") {
		t.Errorf("stderr = %q", stderr)
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidateReportsEveryProblemWithPositions(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"images/base.yaml": "apiVersion: macabox/v1\nkind: Image\nname: base\nfrom: debian:bookworm\nmaca: {version: 2.33.0.6}\n",
		"recipes/app.yaml": `apiVersion: macabox/v1
kind: Layer
name: app
requires: {maca: ">=3.0"}
stepz: []
steps:
  - apt: [ok, "bad name"]
---
apiVersion: macabox/v1
kind: Stack
name: app-stack
base: base
layers: [app, nosuch]
`,
	})
	code, stdout, stderr := run(t, "validate", "--root", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("problems must go to stderr, stdout = %q", stdout)
	}
	for _, want := range []string{
		`app.yaml:5:1: field "stepz": unknown field`,
		`did you mean "steps"`,
		`app.yaml:7:15: field "apt"`,
		`app.yaml:13:15: field "layers": unknown layer "nosuch"`,
		`app.yaml:13:10: field "layers": layer "app" requires maca ">=3.0", but image "base" has "2.33.0.6"`,
		`>=3.0`,
		"problems found",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(line, "macabox:") && !strings.Contains(line, ".yaml:") {
			t.Errorf("line without a position: %q", line)
		}
	}
}

// TestValidateChecksLocks: a broken lock is a problem of its recipe, found
// whether the tree or only that recipe is validated, and not when another
// file is.
func TestValidateChecksLocks(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"images/base.yaml":      "apiVersion: macabox/v1\nkind: Image\nname: base\nfrom: debian:bookworm\nmaca: {version: 3.0.0.5}\n",
		"images/base.lock.yaml": "schema: 1\ntarget: base\nbogus: true\n",
		"recipes/app.yaml":      "apiVersion: macabox/v1\nkind: Layer\nname: app\nsteps:\n  - run: \"true\"\n",
	})
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"validate", "--root", dir}, 1},
		{[]string{"validate", "--root", dir, filepath.Join(dir, "images/base.yaml")}, 1},
		{[]string{"validate", "--root", dir, filepath.Join(dir, "recipes/app.yaml")}, 0},
	} {
		code, _, stderr := run(t, c.args...)
		if code != c.code {
			t.Fatalf("%v: exit %d, want %d:\n%s", c.args, code, c.code, stderr)
		}
		if c.code == 1 && !strings.Contains(stderr, "base.lock.yaml:3:1:") {
			t.Errorf("%v: no positioned lock problem:\n%s", c.args, stderr)
		}
	}
}

// TestHostileInputFailsFast feeds validate the kinds of input that crash or
// hang naive YAML tools; each must end in a positioned error within a second.
func TestHostileInputFailsFast(t *testing.T) {
	laughs := "apiVersion: macabox/v1\nkind: Image\nname: x\nfrom: a\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		n := string(rune('b' + i))
		laughs += n + ": &" + n + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
		prev = n
	}
	cases := map[string][]byte{
		"billion-laughs.yaml": []byte(laughs),
		"deep.yaml":           []byte("apiVersion: macabox/v1\nkind: Image\nname: x\nfrom: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n"),
		"huge.yaml":           append([]byte("apiVersion: macabox/v1\nkind: Image\nname: x\nfrom: a\ndescription: "), bytes.Repeat([]byte("x"), 8<<20)...),
		"garbage.yaml":        {0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 0xff, 0xfe, 0},
		"latin1.yaml":         []byte("apiVersion: macabox/v1\nkind: Image\nname: x\nfrom: caf\xe9\n"),
		"many-docs.yaml":      []byte(strings.Repeat("---\n{}\n", 100000)),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			code, _, stderr := run(t, "validate", p)
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
			if code != 1 || !strings.Contains(stderr, name+":") {
				t.Errorf("exit %d, stderr:\n%.500s", code, stderr)
			}
		})
	}
}

func TestListJSON(t *testing.T) {
	code, stdout, stderr := run(t, "list", "--json", "--root", repoRoot)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var entries []pipeline.ListEntry
	if err := json.Unmarshal([]byte(stdout), &entries); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range entries {
		kinds[e.Kind]++
		if e.Kind == "Image" && e.Name == "maca-sim" && !e.Simulated {
			t.Errorf("maca-sim is not marked simulated")
		}
	}
	if kinds["Image"] < 2 || kinds["Layer"] < 3 || kinds["Stack"] < 4 {
		t.Errorf("kinds = %v", kinds)
	}
}

func TestPlanIsDeterministic(t *testing.T) {
	_, first, _ := run(t, "plan", "mineru-vllm-maca3", "--root", repoRoot)
	code, second, stderr := run(t, "plan", "mineru-vllm-maca3", "--root", repoRoot)
	if code != 0 || first != second || !strings.Contains(first, "FROM ") {
		t.Fatalf("exit %d, identical=%v: %s", code, first == second, stderr)
	}
	code, js, _ := run(t, "plan", "demo", "--format", "json", "--root", repoRoot)
	var p struct {
		Target    string `json:"target"`
		Simulated bool   `json:"simulated"`
	}
	if code != 0 || json.Unmarshal([]byte(js), &p) != nil || p.Target != "demo" || !p.Simulated {
		t.Errorf("plan --format json: exit %d, %+v", code, p)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"plan"},
		{"plan", "demo", "--format", "yaml", "--root", repoRoot},
		{"plan", "nosuch", "--root", repoRoot},
		{"plan", "demo", "--set", "NOEQUALS", "--root", repoRoot},
		{"build", "demo", "--root", repoRoot, "--builder", "unix:///nonexistent/buildkitd.sock"},
		{"test", "demo", "--root", repoRoot, "--report", "pdf=x"},
		// An empty GPU list (an unset variable) is not "every GPU".
		{"test", "demo", "--root", repoRoot, "--gpus", ""},
		{"run", "demo", "--root", repoRoot, "--gpus", " ", "--print"},
		// No devices to describe: the work cannot be done here.
		{"cdi", "generate", "--dev-root", t.TempDir(), "--sys-root", t.TempDir()},
		// A reference is recorded from a reference image, named.
		{"reference", "record", "demo", "--root", repoRoot},
		// The demo has no compare or bench test: nothing to record.
		{"reference", "record", "demo", "--root", repoRoot, "--image", "debian:bookworm", "--device", "none"},
		{"--no-such-flag"},
	} {
		code, stdout, stderr := run(t, args...)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "macabox: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestEveryVerbHasExamples(t *testing.T) {
	root := NewRootCommand(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" || c.HasSubCommands() {
			continue
		}
		if c.Example == "" {
			t.Errorf("%s has no examples in --help", c.Name())
		}
	}
}

// TestListEscapesEverything: list reads recipes without validating them, so
// values can hold any character YAML can write; neither the table nor the
// JSON may print one that a terminal would act on or that reorders text,
// and the JSON still decodes to the values as written.
func TestListEscapesEverything(t *testing.T) {
	const from = "evil\u202e\x1b[2J\u0085\x7f\U000e0001"
	dir := writeTree(t, map[string]string{
		"images/base.yaml":      "apiVersion: macabox/v1\nkind: Image\nname: base\nfrom: \"evil\\u202e\\e[2J\\N\\x7f\\U000e0001\"\ndescription: \"two\\nlines\"\n",
		"recipes/stack.yaml":    "apiVersion: macabox/v1\nkind: Stack\nname: stack\nbase: \"b\\u2066\"\nlayers: [\"l\\u200b\\t\"]\n",
		"recipes/a\u2028b.yaml": "apiVersion: macabox/v1\nkind: Image\nname: other\nfrom: scratch\n",
	})
	clean := func(what, s string) {
		t.Helper()
		if !recipe.Printable(strings.ReplaceAll(s, "\n", "")) {
			t.Errorf("%s holds characters that do not print:\n%q", what, s)
		}
	}
	_, stdout, stderr := run(t, "list", "--root", dir)
	clean("list", stdout)
	clean("list's problems", stderr)
	if !strings.Contains(stdout, strconv.Quote(from)) || !strings.Contains(stdout+stderr, `a\u2028b.yaml`) {
		t.Errorf("values are not shown escaped:\n%s\n%s", stdout, stderr)
	}

	_, stdout, stderr = run(t, "list", "--json", "--root", dir)
	clean("list --json", stdout)
	clean("list --json's problems", stderr)
	var entries []pipeline.ListEntry
	if err := json.Unmarshal([]byte(stdout), &entries); err != nil {
		t.Fatal(err)
	}
	got := map[string]pipeline.ListEntry{}
	for _, e := range entries {
		got[e.Name] = e
	}
	if got["base"].From != from || got["base"].Description != "two\nlines" || got["stack"].Base != "b\u2066" || !slices.Equal(got["stack"].Layers, []string{"l\u200b\t"}) {
		t.Errorf("the JSON does not hold the values as written: %+v", entries)
	}
}

// TestRunPrintNVIDIA: the nvidia profile's docker run line asks for GPUs
// as Docker does, by capability or by CDI name, and a shell hands docker
// the --gpus list with the quotes it needs.
func TestRunPrintNVIDIA(t *testing.T) {
	argsOf := func(args ...string) []string {
		t.Helper()
		code, line, stderr := run(t, append([]string{"run", "example.com/cuda:12", "--print", "--device", "nvidia"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		out, err := exec.Command("bash", "-c", "printf '%s\\n' "+strings.TrimPrefix(strings.TrimSpace(line), "docker ")).Output()
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	noCDI := t.TempDir()
	if got := argsOf("--cdi-spec-dir", noCDI, "--", "nvidia-smi", "-L"); !slices.Contains(got, "--gpus=all") ||
		slices.ContainsFunc(got, func(a string) bool { return strings.Contains(a, "/dev/mxcd") || strings.Contains(a, "seccomp") }) ||
		!slices.Equal(got[len(got)-2:], []string{"nvidia-smi", "-L"}) {
		t.Errorf("all GPUs: %q", got)
	}
	if got := argsOf("--cdi-spec-dir", noCDI, "--gpus", "2,0"); !slices.Contains(got, `--gpus="device=0,2"`) {
		t.Errorf("GPUs 0 and 2: %q", got)
	}
	cdiDir := t.TempDir()
	spec := "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n  - name: \"0\"\n    containerEdits:\n      deviceNodes: [{path: /dev/nvidia0}]\n  - name: all\n    containerEdits:\n      deviceNodes: [{path: /dev/nvidia0}]\n"
	if err := os.WriteFile(filepath.Join(cdiDir, "nvidia.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := argsOf("--cdi-spec-dir", cdiDir, "--gpus", "0"); !slices.Contains(got, "--device=nvidia.com/gpu=0") || slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "--gpus") }) {
		t.Errorf("GPU 0 by CDI: %q", got)
	}
}
