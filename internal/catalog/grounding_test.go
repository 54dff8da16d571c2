package catalog_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// TestPinnedValuesAreGrounded checks every value the real recipes pin (a
// version, label, ref, tag, commit or URL): a source the recipe cites must
// show exactly that value, or the value must be marked `unverified` with a
// reason. Where a value may be cited:
//   - a step's values: the step's own source;
//   - an arg's value: the source of the document that writes the value, or
//     of a step that uses the arg;
//   - an image's from, maca, python and torch: the image's source.
//
// "Shows" is literal: the value appears in the citation (a commit may be
// cited by a prefix of seven or more hex digits; an image reference by its
// registry path and its name:tag). Simulated images and the stacks on them
// pin nothing upstream and are left out.
func TestPinnedValuesAreGrounded(t *testing.T) {
	set := loadCatalog(t)
	g := grounding{set: set, seen: map[string]bool{}}
	for _, name := range targets(set) {
		p, err := plan.New(set, name, plan.Options{})
		if err != nil {
			t.Fatalf("planning %s: %v", name, err)
		}
		if p.Simulated {
			continue
		}
		g.check(p)
	}
	if len(g.problems) == 0 {
		return
	}
	slices.Sort(g.problems)
	for _, msg := range g.problems {
		t.Error(msg)
	}
	t.Logf("%d pinned values lack a source that shows them; cite one, or mark the value `unverified: \"why\"` (see docs/reference/recipe-format.md, Grounded values)", len(g.problems))
}

// pinnedShape is what a pinned value looks like: a dotted version anywhere
// in it, a full commit, or a URL.
var pinnedShape = regexp.MustCompile(`\d+\.\d+|^[0-9a-fA-F]{40}$|^https?://`)

// versionPart picks the version out of a package name such as maca_sdk-3.0.0.5*.
var versionPart = regexp.MustCompile(`\d+(\.\d+)+\S*?(\*|$)`)

type grounding struct {
	set      *recipe.Set
	seen     map[string]bool // problems already reported by another target
	problems []string
}

func (g *grounding) fail(pos recipe.Pos, format string, a ...any) {
	file := pos.File
	if rel, err := filepath.Rel(root, file); err == nil {
		file = filepath.ToSlash(rel)
	}
	msg := fmt.Sprintf("%s:%d:%d: ", file, pos.Line, pos.Col) + fmt.Sprintf(format, a...)
	if !g.seen[msg] {
		g.seen[msg] = true
		g.problems = append(g.problems, msg)
	}
}

// check looks at the documents one plan builds, with the argument values
// that plan gives them.
func (g *grounding) check(p *plan.Plan) {
	args := map[string]plan.Arg{}
	for _, a := range p.Args {
		args[a.Name] = a
	}
	var docs []*recipe.Document
	for _, name := range slices.Concat(p.Images, p.Layers, []string{p.Target}) {
		if d, ok := g.set.Lookup(name); ok && !slices.Contains(docs, d) {
			docs = append(docs, d)
		}
	}
	var steps []recipe.Step
	for _, d := range docs {
		steps = append(steps, docSteps(d)...)
	}
	for _, d := range docs {
		if d.Image != nil {
			g.imageFacts(d)
		}
		for _, s := range docSteps(d) {
			g.step(d, s, args)
		}
	}
	for _, a := range p.Args {
		if a.Builtin || !pinnedShape.MatchString(a.Value) {
			continue
		}
		d, ok := g.set.Lookup(a.Recipe)
		if !ok || g.argGrounded(d, a, steps) {
			continue
		}
		g.fail(argPos(d, a.Name), "arg %s = %s: no source shows it (the document's source, or that of a step using it), and it is not marked unverified", a.Name, a.Value)
	}
}

// argGrounded: the writer marks or cites the value, or a step that uses the
// arg cites it or is marked.
func (g *grounding) argGrounded(d *recipe.Document, a plan.Arg, steps []recipe.Step) bool {
	h := d.Header()
	if _, marked := h.Unverified.Get(a.Name); marked || shows(h.Source.Value, a.Value) {
		return true
	}
	for _, s := range steps {
		if usesArg(s, a.Name) && (!s.Unverified.Pos.IsZero() || shows(s.Source.Value, a.Value)) {
			return true
		}
	}
	return false
}

func (g *grounding) imageFacts(d *recipe.Document) {
	im := d.Image
	if im.Simulated.Value {
		return
	}
	type fact struct {
		key   string
		value recipe.Str
	}
	facts := []fact{{"torch", im.Torch}}
	if _, inTree := g.set.Lookup(im.From.Value); !inTree {
		facts = append(facts, fact{"from", im.From})
	}
	if im.MACA != nil {
		facts = append(facts, fact{"maca", im.MACA.Version})
	}
	if im.Python != nil {
		facts = append(facts, fact{"python", im.Python.Version})
	}
	for _, f := range facts {
		if f.value.Value == "" {
			continue
		}
		if _, marked := im.Unverified.Get(f.key); marked || shows(im.Source.Value, f.value.Value) {
			continue
		}
		g.fail(f.value.Pos, "%s %s: the image's source does not show it, and it is not marked unverified", f.key, f.value.Value)
	}
}

// step checks the values one step pins, as the plan resolves them.
func (g *grounding) step(d *recipe.Document, s recipe.Step, args map[string]plan.Arg) {
	if !s.Unverified.Pos.IsZero() {
		return
	}
	for _, field := range pinnedFields(s) {
		value := expand(field.value.Value, args)
		for _, pin := range pins(field.kind, value) {
			if shows(s.Source.Value, pin) || g.fromGroundedArg(field.value.Value, pin, args) {
				continue
			}
			what := pin
			if pin != value {
				what = fmt.Sprintf("%s (in %s)", pin, value)
			}
			g.fail(field.value.Pos, "%s %s: the step's source does not show it, and the step is not marked unverified", field.kind, what)
		}
	}
}

// fromGroundedArg: the pin comes from an arg whose writer cites or marks
// it, so the step need not repeat the citation.
func (g *grounding) fromGroundedArg(raw, pin string, args map[string]plan.Arg) bool {
	refs, err := recipe.ExpandRefs(raw)
	if err != nil {
		return false
	}
	for _, r := range refs {
		a, ok := args[r.Name]
		if !ok || a.Builtin || !strings.Contains(pin, a.Value) && !strings.Contains(a.Value, pin) {
			continue
		}
		d, ok := g.set.Lookup(a.Recipe)
		if !ok {
			continue
		}
		h := d.Header()
		if _, marked := h.Unverified.Get(a.Name); marked || shows(h.Source.Value, a.Value) {
			return true
		}
	}
	return false
}

type field struct {
	kind  string
	value recipe.Str
}

// pinnedFields are the structured values of a step that can pin something.
func pinnedFields(s recipe.Step) []field {
	var out []field
	add := func(kind string, vs ...recipe.Str) {
		for _, v := range vs {
			if v.Value != "" {
				out = append(out, field{kind, v})
			}
		}
	}
	switch {
	case s.Git != nil:
		add("git url", s.Git.URL)
		add("git ref", s.Git.Ref)
		add("git commit", s.Git.Commit)
	case s.Pip != nil:
		add("pip package", s.Pip.Packages...)
		add("pip index", s.Pip.Index)
		add("pip index", s.Pip.ExtraIndex...)
	case s.Dnf != nil:
		add("dnf package", s.Dnf.Packages...)
		for _, r := range s.Dnf.Repos {
			add("dnf repository", r.BaseURL)
		}
	case s.Apt != nil:
		add("apt package", s.Apt.Packages...)
	case s.Download != nil:
		add("download", s.Download.URL)
	}
	return out
}

// pins are the parts of a resolved value that a source has to show.
func pins(kind, value string) []string {
	switch kind {
	case "pip package":
		if strings.HasPrefix(value, "/") {
			return nil // a wheel built by the recipe
		}
		if _, version, ok := strings.Cut(value, "=="); ok {
			return []string{strings.TrimLeft(version, "=")}
		}
		return nil // a range or no version: nothing pinned
	case "apt package":
		if _, version, ok := strings.Cut(value, "="); ok {
			return []string{version}
		}
		return nil
	case "dnf package":
		if m := versionPart.FindString(value); m != "" {
			return []string{strings.TrimSuffix(m, "*")}
		}
		return nil
	case "download":
		// A file at a commit of a repository (raw.githubusercontent.com/
		// OWNER/REPO/COMMIT/PATH): the source shows which commit and file.
		if m := commitInURL.FindStringSubmatch(value); m != nil {
			return []string{m[1], m[2]}
		}
		return []string{value}
	case "dnf repository":
		// The architecture is written as $basearch here and $(uname -m)
		// upstream: what must match is the part before it.
		prefix, _, _ := strings.Cut(value, "$")
		return []string{prefix}
	}
	return []string{value}
}

// shows reports whether a citation shows value exactly.
func shows(source, value string) bool {
	if value == "" {
		return true
	}
	if strings.Contains(source, value) {
		return true
	}
	if isCommit(value) {
		for _, run := range hexRun.FindAllString(source, -1) {
			if len(run) >= 7 && strings.HasPrefix(strings.ToLower(value), strings.ToLower(run)) {
				return true
			}
		}
	}
	// An image reference: its registry path and its name:tag may be shown
	// by different citations.
	if i := strings.LastIndex(value, "/"); i > 0 && strings.Contains(value[i:], ":") {
		return strings.Contains(source, value[:i+1]) && strings.Contains(source, value[i+1:])
	}
	return false
}

var (
	hexRun      = regexp.MustCompile(`[0-9a-fA-F]{7,40}`)
	commitInURL = regexp.MustCompile(`/([0-9a-fA-F]{40})/(.+)$`)
	commitRE    = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
)

func isCommit(s string) bool { return commitRE.MatchString(s) }

// expand substitutes the plan's argument values.
func expand(s string, args map[string]plan.Arg) string {
	out, err := recipe.Expand(s, func(name string) (string, bool) {
		if a, ok := args[name]; ok {
			return a.Value, true
		}
		return "${" + name + "}", true
	})
	if err != nil {
		return s
	}
	return out
}

// usesArg reports whether a step refers to an arg: ${NAME} in a structured
// value, or $NAME / ${NAME} in its script.
func usesArg(s recipe.Step, name string) bool {
	if s.Run != nil {
		script := s.Run.Script.Value
		return strings.Contains(script, "${"+name+"}") || regexp.MustCompile(`\$`+name+`\b`).MatchString(script)
	}
	for _, f := range pinnedFields(s) {
		if strings.Contains(f.value.Value, "${"+name+"}") {
			return true
		}
	}
	return false
}

func docSteps(d *recipe.Document) []recipe.Step {
	var stages []recipe.Stage
	var steps []recipe.Step
	switch {
	case d.Image != nil:
		stages, steps = d.Image.Stages, d.Image.Steps
	case d.Layer != nil:
		stages, steps = d.Layer.Stages, d.Layer.Steps
	}
	var out []recipe.Step
	for _, st := range stages {
		out = append(out, st.Steps...)
	}
	return append(out, steps...)
}

func argPos(d *recipe.Document, name string) recipe.Pos {
	var m recipe.Map
	switch {
	case d.Image != nil:
		m = d.Image.Args
	case d.Layer != nil:
		m = d.Layer.Args
	case d.Stack != nil:
		m = d.Stack.Args
	}
	if kv, ok := m.Get(name); ok {
		return kv.Value.Pos
	}
	return d.Pos
}
