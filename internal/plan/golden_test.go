package plan

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goldenCases are recipe trees under testdata/<name>/, each planned for one
// target. Every tree must also pass recipe.Validate, so the cases stay
// within the recipe format.
var goldenCases = []struct {
	name   string
	target string
	args   map[string]string
}{
	{name: "simple", target: "hello-stack"},
	{name: "vllm-multistage", target: "vllm-ubi9"},
	{name: "infinicore", target: "infinicore-sim"},
	{name: "pip-keep", target: "mineru-sim"},
	{name: "env-refs", target: "paths-sim"},
	{name: "args-override", target: "tool-sim", args: map[string]string{"VERSION": "3.0-rc1"}},
	{name: "hostile", target: "hostile-sim"},
	// A cell of a matrix: the matrix's values are its args, and its
	// Dockerfile says which cell it is.
	{name: "matrix", target: "tools-maca-sim-3.0-2.1-rc1-beta"},
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join("testdata", c.name)
			p, r := planCase(t, root, c.target, c.args)
			golden(t, filepath.Join(root, c.name+".Dockerfile.golden"), r.Dockerfile)
			golden(t, filepath.Join(root, c.name+".plan.json.golden"), planJSON(t, p, root))
			golden(t, filepath.Join(root, c.name+".lines.golden"), FormatLines(r.Lines))

			if n := bytes.Count(r.Dockerfile, []byte("\n")); n != len(r.Lines) {
				t.Errorf("the Dockerfile has %d lines, the line map %d", n, len(r.Lines))
			}
			files, _ := r.ContextFiles()
			for name, path := range files {
				if !strings.HasPrefix(path, "/") || !strings.HasPrefix(name, "recipes/") {
					t.Errorf("context file %s from %s", name, path)
				}
			}
			if o, ok := r.OriginOf(len(r.Lines)); !ok || !strings.HasSuffix(o, p.TargetPos.String()) {
				t.Errorf("the last line (labels) comes from %q, want the target %s", o, p.TargetPos)
			}
			checkReadsAsPlanned(t, p, r)
			conv := convert(t, r.Dockerfile)
			if ws := unexpectedWarnings(conv.warnings); len(ws) > 0 {
				t.Errorf("BuildKit's frontend warns:\n%s", strings.Join(ws, "\n"))
			}
			checkExecOrigins(t, p, r, conv)
		})
	}
}

// planCase loads, validates, plans and renders one recipe tree.
func planCase(t *testing.T, root, target string, args map[string]string) (*Plan, *Rendered) {
	t.Helper()
	set, err := recipe.LoadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatalf("the case's recipes are invalid:\n%v", errs)
	}
	p, err := New(set.WithCells(), target, Options{Args: args})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, r
}

// planJSON is the plan as JSON with the checkout location replaced, the one
// thing in a plan that depends on where the project is.
func planJSON(t *testing.T, p *Plan, root string) []byte {
	t.Helper()
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	return append(bytes.ReplaceAll(data, []byte(abs), []byte("$ROOT")), '\n')
}

// checkExecOrigins checks the line map against BuildKit's own source map:
// every command BuildKit runs comes from a line the map ties to a step that
// runs a command.
func checkExecOrigins(t *testing.T, p *Plan, r *Rendered, conv converted) {
	t.Helper()
	for _, e := range conv.execs {
		o, ok := r.Origin(e.line)
		if !ok || o.Step < 0 {
			t.Errorf("BuildKit runs %q from Dockerfile line %d, which the line map ties to no step", e.meta.Args, e.line)
			continue
		}
		switch k := p.Steps[o.Step].Kind; k {
		case KindRun, KindApt, KindDnf, KindPip, KindGit:
		default:
			t.Errorf("Dockerfile line %d runs %q but maps to a %s step", e.line, e.meta.Args, k)
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/plan -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what is rendered now (run with -update after checking the change):\n%s", path, firstDiff(want, got))
	}
}

// firstDiff shows the first differing line, enough to see what changed.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, wl, gl)
		}
	}
	return ""
}
