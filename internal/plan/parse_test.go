package plan

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// BuildKit reads a rendered Dockerfile with its own parser before anything
// else happens: continuation lines, comments inside an instruction, heredoc
// markers and line lengths are decided there. These helpers parse a
// rendered Dockerfile with that parser and compare what it read with what
// the plan means: the same instructions, in order, each on the lines the
// line map gives its step, and every run script arriving as written.

// wantInstruction is one instruction a plan calls for.
type wantInstruction struct {
	keyword string
	step    int // index in Plan.Steps, or -1
}

// plannedInstructions lists, from the plan alone, the instructions its
// Dockerfile must hold: per stage FROM, then (except for the base) the ARG
// lines, then one instruction per step; LABEL at the very end.
func plannedInstructions(p *Plan) []wantInstruction {
	var out []wantInstruction
	for _, s := range p.Stages {
		out = append(out, wantInstruction{"FROM", -1})
		if s.Role != RoleBase {
			for range len(s.Args) + 1 { // SOURCE_DATE_EPOCH and the stage's args
				out = append(out, wantInstruction{"ARG", -1})
			}
		}
		for _, st := range p.Steps {
			if st.Stage == s.Name {
				out = append(out, wantInstruction{stepKeyword(st.Kind), st.Index})
			}
		}
	}
	if len(p.Labels) > 0 {
		out = append(out, wantInstruction{"LABEL", -1})
	}
	return out
}

func stepKeyword(k StepKind) string {
	switch k {
	case KindCopy:
		return "COPY"
	case KindDownload:
		return "ADD"
	case KindEnv:
		return "ENV"
	case KindWorkdir:
		return "WORKDIR"
	case KindUser:
		return "USER"
	}
	return "RUN"
}

// parseDockerfile parses df as BuildKit does.
func parseDockerfile(df []byte) ([]*parser.Node, []parser.Warning, error) {
	res, err := parser.Parse(bytes.NewReader(df))
	if err != nil {
		return nil, nil, err
	}
	return res.AST.Children, res.Warnings, nil
}

// readsAsPlanned reports how BuildKit's parser reads r.Dockerfile
// differently from what p means, or nil when it reads it exactly so.
func readsAsPlanned(p *Plan, r *Rendered) error {
	nodes, warnings, err := parseDockerfile(r.Dockerfile)
	if err != nil {
		return fmt.Errorf("BuildKit's parser rejects the Dockerfile: %w", err)
	}
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	for _, w := range warnings {
		add("parser warning: %s", w.Short)
	}
	want := plannedInstructions(p)
	if len(nodes) != len(want) {
		add("the parser reads %d instructions, the plan means %d", len(nodes), len(want))
	}
	if n := bytes.Count(r.Dockerfile, []byte("\n")); n != len(r.Lines) {
		add("the Dockerfile has %d lines, the line map %d", n, len(r.Lines))
	}
	for i := range min(len(nodes), len(want)) {
		n, w := nodes[i], want[i]
		where := fmt.Sprintf("instruction %d (lines %d-%d)", i+1, n.StartLine, n.EndLine)
		if kw := strings.ToUpper(n.Value); kw != w.keyword {
			add("%s is %s, the plan means %s", where, kw, w.keyword)
			continue
		}
		if len(n.Heredocs) > 0 {
			add("%s carries a heredoc %q", where, n.Heredocs[0].Name)
		}
		for line := n.StartLine; line <= n.EndLine; line++ {
			o, ok := r.Origin(line)
			switch {
			case !ok:
				add("%s: line %d is not in the line map", where, line)
			case o.Step != w.step:
				add("%s: the line map ties line %d to step %d, the plan means step %d", where, line, o.Step, w.step)
			case w.step >= 0 && o.Pos != p.Steps[w.step].Pos:
				add("%s: the line map ties line %d to %s, the step is at %s", where, line, o.Pos, p.Steps[w.step].Pos)
			}
		}
		if w.step >= 0 {
			if why := runReadsAsPlanned(n, &p.Steps[w.step]); why != "" {
				add("%s: %s", where, why)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s\n%s", strings.Join(problems, "\n"), numbered(r.Dockerfile))
	}
	return nil
}

// runReadsAsPlanned checks a run step's instruction: its flags are the
// step's mounts and network, and the shell gets the script as written.
func runReadsAsPlanned(n *parser.Node, s *Step) string {
	if s.Kind != KindRun {
		return ""
	}
	r := s.Run
	flags := secretMounts(r.Secrets)
	for _, c := range r.Cache {
		flags = append(flags, "--mount=type=cache,target="+c)
	}
	if r.Network != "" {
		flags = append(flags, "--network="+r.Network)
	}
	if !slices.Equal(n.Flags, flags) {
		return fmt.Sprintf("flags %q, the step means %q", n.Flags, flags)
	}
	var args []string
	for a := n.Next; a != nil; a = a.Next {
		args = append(args, a.Value)
	}
	if n.Attributes["json"] {
		if slices.Equal(args, []string{"/bin/sh", "-ec", r.Script}) || slices.Equal(args, []string{"/bin/sh", "-ec", "--", r.Script}) {
			return ""
		}
		return fmt.Sprintf("exec form %q does not run the script %q", args, r.Script)
	}
	if len(args) != 1 || args[0] != r.Script {
		return fmt.Sprintf("shell form %q is not the script %q", args, r.Script)
	}
	return ""
}

// checkReadsAsPlanned fails the test when BuildKit's parser reads the
// rendered Dockerfile differently from what the plan means.
func checkReadsAsPlanned(t testing.TB, p *Plan, r *Rendered) {
	t.Helper()
	if err := readsAsPlanned(p, r); err != nil {
		t.Error(err)
	}
}

// TestCatalogReadsAsPlanned parses the Dockerfile of every target of the
// project's own recipes, the ones the catalog's golden files hold.
func TestCatalogReadsAsPlanned(t *testing.T) {
	set, err := recipe.LoadTree(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range append(set.Images(), set.Stacks()...) {
		names = append(names, d.Name())
	}
	if len(names) == 0 {
		t.Fatal("no targets in the project's recipes")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p, err := New(set, name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Render(p)
			if err != nil {
				t.Fatal(err)
			}
			golden, err := os.ReadFile(filepath.Join("..", "catalog", "testdata", name+".Dockerfile"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(golden, r.Dockerfile) {
				t.Errorf("the catalog's golden Dockerfile of %s is not what renders now (go test ./internal/catalog -update)", name)
			}
			checkReadsAsPlanned(t, p, r)
		})
	}
}

// TestRunScriptsStayInTheirInstruction: a run step whose flags put its
// script on a continuation line must not let the parser read that line as
// a comment (joining the next instruction into the RUN), nor as anything
// but the script.
func TestRunScriptsStayInTheirInstruction(t *testing.T) {
	root := t.TempDir()
	m := &mem{file: filepath.Join(root, "recipes", "cont", "cont.yaml")}
	layer := &recipe.Layer{Header: m.header(recipe.KindLayer, "cont")}
	scripts := []string{"#", "# only a comment", "#!/bin/sh", "echo a # b", "\u00a0# after a no-break space", "echo ok"}
	variants := []func(*recipe.RunStep){
		func(r *recipe.RunStep) {},
		func(r *recipe.RunStep) { r.Network = m.s("none") },
		func(r *recipe.RunStep) { r.Secrets = m.list("tok") },
		func(r *recipe.RunStep) { r.Cache = m.list("/root/.cache") },
	}
	for _, s := range scripts {
		for _, v := range variants {
			rs := &recipe.RunStep{Script: m.s(s)}
			v(rs)
			layer.Steps = append(layer.Steps,
				recipe.Step{Pos: m.pos(), Run: rs},
				recipe.Step{Pos: m.pos(), User: ptr(m.s("nobody"))},
			)
		}
	}
	layer.Steps = append(layer.Steps, recipe.Step{Pos: m.pos(), User: ptr(m.s("1000"))})
	p, err := New(memSet(root, layer, nil), "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	checkReadsAsPlanned(t, p, r)
	if u := convert(t, r.Dockerfile).image.Config.User; u != "1000" {
		t.Errorf("the image runs as %q, want the last USER 1000", u)
	}
}

// TestLineLengthLimit: the renderer refuses, at the step, a line longer than
// BuildKit's parser reads, and lets through the longest one it does read.
func TestLineLengthLimit(t *testing.T) {
	render := func(script string) (*Plan, *Rendered, error) {
		t.Helper()
		root := t.TempDir()
		m := &mem{file: filepath.Join(root, "recipes", "long", "long.yaml")}
		layer := &recipe.Layer{Header: m.header(recipe.KindLayer, "long")}
		layer.Steps = []recipe.Step{{Pos: m.pos(), Run: &recipe.RunStep{Script: m.s(script)}}}
		p, err := New(memSet(root, layer, nil), "test", Options{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Render(p)
		return p, r, err
	}
	longest := "echo " + strings.Repeat("x", maxDockerfileLine-len("RUN echo "))
	p, r, err := render(longest)
	if err != nil {
		t.Fatalf("the longest line BuildKit reads is refused: %v", err)
	}
	checkReadsAsPlanned(t, p, r)

	_, _, err = render(longest + "x")
	wantErr(t, err, "recipes/long/long.yaml:4:3:", "Dockerfile line of 65536 bytes", "at most 65535")
}
