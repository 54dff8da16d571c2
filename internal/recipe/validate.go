package recipe

import (
	"errors"
	"fmt"
	"strings"
)

// Rules are the value checks whose rules another package owns: a recipe
// says where a value is written, the owner what it may be. Passing them in
// keeps this package free of the owner's imports. Every field must be set.
type Rules struct {
	// Size reads a byte size, such as runtime.shmSize, as the container
	// runtime reads it (device.ParseSize).
	Size func(string) (int64, error)
}

// Validate checks a loaded Set and reports every problem at once, sorted by
// position. It never changes the Set and fills no defaults.
//
// Validate is pure with one exception: copy sources are looked up on the file
// system, or in the fs.FS an embedded recipe comes from (through
// Document.CopySource, as the planner does), because only there
// can a missing file or a symlink that leads out of the recipe's folder be
// seen.
//
// Problems the loader reported (a missing required field, a value of the wrong
// type) leave zero values behind; Validate skips those instead of reporting
// them twice.
func Validate(s *Set, r Rules) Errors {
	if r.Size == nil {
		panic("recipe.Validate: Rules.Size is not set")
	}
	v := newValidator(s, r)
	for _, d := range s.Docs {
		v.document(d)
	}
	v.checkRefs()
	if len(v.errs.errs) == 0 {
		return nil
	}
	return v.errs.errs.Sorted()
}

// validator holds one run of Validate.
type validator struct {
	set       *Set
	errs      errorList
	types     typeTable
	byName    map[string]*Document // the first document of each name
	kindNames map[Kind][]string    // names of each kind, for did-you-mean hints
	stacksOf  map[*Document][]*Document
	reported  map[Error]bool // reference errors, which several contexts may find
	cells     []*Document    // the cells of the matrices, checked as stacks
	regexps   map[string]compiled
	rules     Rules
}

func newValidator(s *Set, r Rules) *validator {
	v := &validator{
		set:       s,
		rules:     r,
		types:     typeTable{},
		byName:    map[string]*Document{},
		kindNames: map[Kind][]string{},
		stacksOf:  map[*Document][]*Document{},
		reported:  map[Error]bool{},
		regexps:   map[string]compiled{},
	}
	for _, d := range s.Docs {
		h := d.Header()
		if h == nil || h.Name.Pos.IsZero() {
			continue
		}
		v.literal(h.Name, "name", checkName)
		if first, ok := v.byName[h.Name.Value]; ok {
			fh := first.Header()
			v.errs.add(h.Name.Pos, "name", "%s is already the name of %s at %s", quote(h.Name.Value), aKind(first.Kind()), fh.Name.Pos)
			continue
		}
		v.byName[h.Name.Value] = d
		v.kindNames[d.Kind()] = append(v.kindNames[d.Kind()], h.Name.Value)
	}
	return v
}

func (v *validator) document(d *Document) {
	v.grounding(d)
	switch {
	case d.Image != nil:
		v.image(d, d.Image)
	case d.Layer != nil:
		v.layer(d, d.Layer)
	case d.Stack != nil:
		v.stack(d, d.Stack)
	case d.Matrix != nil:
		v.matrix(d, d.Matrix)
	}
}

func (v *validator) image(d *Document, img *Image) {
	v.imageFrom(d, img)
	v.literal(img.Platform, "platform", checkPlatform)
	if m := img.MACA; m != nil {
		v.literal(m.Version, "version", checkMACAVersion)
		v.literal(m.Path, "path", checkAbsPath)
	}
	if p := img.Python; p != nil {
		v.literal(p.Path, "path", checkAbsPath)
		v.literal(p.Version, "version", checkPythonVersion)
	}
	v.literal(img.Torch, "torch", checkVersion)
	v.literal(img.OS, "os", checkOneLine)
	v.labels(img.Labels)
	v.args(img.Args)
	v.env(img.Env, "env")
	v.stages(d, img.Stages)
	v.steps(d, img.Steps, stageNames(img.Stages))
	v.tests(img.Smoke)
	v.runtime(img.Run)
}

// imageFrom checks what an image builds on: another Image of the set (making
// a base chain, which must not loop) or a registry reference.
func (v *validator) imageFrom(d *Document, img *Image) {
	from := img.From
	if from.Pos.IsZero() {
		return
	}
	other, ok := v.byName[from.Value]
	if !ok {
		v.expanded(from, "from", checkImageRef)
		return
	}
	if other.Image == nil {
		v.errs.add(from.Pos, "from", "%s is %s; an image builds on an Image or a registry reference", quote(from.Value), aKind(other.Kind()))
		return
	}
	if chain, loops := v.baseChain(d); loops && chain[len(chain)-1] == d {
		v.errs.add(from.Pos, "from", "the base chain loops: %s", chainText(chain))
	}
}

// baseChain follows `from` through the Images of the set, starting at d. It
// stops at the first repeat and reports whether there was one; the repeated
// document is then the last element.
func (v *validator) baseChain(d *Document) (chain []*Document, loops bool) {
	seen := map[*Document]bool{}
	for cur := d; cur != nil && cur.Image != nil; {
		chain = append(chain, cur)
		if seen[cur] {
			return chain, true
		}
		seen[cur] = true
		cur = v.byName[cur.Image.From.Value]
	}
	return chain, false
}

func chainText(chain []*Document) string {
	names := make([]string, len(chain))
	for i, d := range chain {
		names[i] = d.Name()
	}
	return strings.Join(names, " -> ")
}

func (v *validator) layer(d *Document, l *Layer) {
	if r := l.Requires; r != nil {
		v.literal(r.MACA, "maca", checkConstraint)
		v.literal(r.Python, "python", checkConstraint)
		v.literal(r.Torch, "torch", checkConstraint)
		v.literal(r.OS, "os", v.checkRegexp)
	}
	v.args(l.Args)
	v.env(l.Env, "env")
	v.stages(d, l.Stages)
	v.steps(d, l.Steps, stageNames(l.Stages))
	v.tests(l.Smoke)
	v.runtime(l.Run)
}

func (v *validator) stack(d *Document, s *Stack) {
	base := v.stackBase(s)
	seen := map[string]Str{}
	for _, ref := range s.Layers {
		if first, dup := seen[ref.Value]; dup {
			v.errs.add(ref.Pos, "layers", "layer %s is listed twice (first on line %d)", quote(ref.Value), first.Pos.Line)
			continue
		}
		seen[ref.Value] = ref
		l := v.resolve(ref, "layers", KindLayer)
		if l == nil {
			continue
		}
		v.stacksOf[l] = append(v.stacksOf[l], d)
		if base != nil {
			v.requirements(ref, l.Layer, base)
		}
	}
	v.args(s.Args)
	for _, t := range s.Tags {
		v.expanded(t, "tags", checkImageRef)
	}
	v.tests(s.Smoke)
}

// stackBase resolves a stack's base, returning it only when its chain is
// sound enough to check requirements against.
func (v *validator) stackBase(s *Stack) *Document {
	base := v.resolve(s.Base, "base", KindImage)
	if base == nil {
		return nil
	}
	if _, loops := v.baseChain(base); loops {
		v.errs.add(s.Base.Pos, "base", "the base chain of %s loops", quote(base.Name()))
		return nil
	}
	return base
}

// resolve finds the document a reference names and checks its kind.
func (v *validator) resolve(ref Str, field string, want Kind) *Document {
	if ref.Pos.IsZero() {
		return nil
	}
	d, ok := v.byName[ref.Value]
	if !ok {
		v.errs.add(ref.Pos, field, "unknown %s %s%s", strings.ToLower(string(want)), quote(ref.Value), didYouMean(ref.Value, v.kindNames[want]))
		return nil
	}
	if d.Kind() != want {
		v.errs.add(ref.Pos, field, "%s is %s, not %s", quote(ref.Value), aKind(d.Kind()), aKind(want))
		return nil
	}
	return d
}

// aKind names a kind with its article: "an Image", "a Layer".
func aKind(k Kind) string {
	if k == KindImage {
		return "an " + string(k)
	}
	return "a " + string(k)
}

// requirements checks a layer's constraints against what its stack's base
// chain declares; the nearest image that declares a fact wins.
func (v *validator) requirements(ref Str, l *Layer, base *Document) {
	r := l.Requires
	if r == nil {
		return
	}
	facts := v.baseFacts(base)
	check := func(what string, c Str, have string) {
		if c.Pos.IsZero() {
			return
		}
		con, err := ParseConstraint(c.Value)
		if err != nil {
			return // reported where the constraint is written
		}
		switch {
		case have == "":
			v.errs.add(ref.Pos, "layers", "layer %s requires %s %s, but image %s declares no %s version", quote(ref.Value), what, quote(c.Value), quote(base.Name()), what)
		case !con.Allows(have):
			v.errs.add(ref.Pos, "layers", "layer %s requires %s %s, but image %s has %s", quote(ref.Value), what, quote(c.Value), quote(base.Name()), quote(have))
		}
	}
	check("maca", r.MACA, facts.maca)
	check("python", r.Python, facts.python)
	check("torch", r.Torch, facts.torch)
	if !r.OS.Pos.IsZero() {
		re, err := v.regexp(r.OS.Value)
		switch {
		case err != nil:
		case facts.os == "":
			v.errs.add(ref.Pos, "layers", "layer %s requires os %s, but image %s declares no os", quote(ref.Value), quote(r.OS.Value), quote(base.Name()))
		case !re.MatchString(facts.os):
			v.errs.add(ref.Pos, "layers", "layer %s requires os %s, but image %s has %s", quote(ref.Value), quote(r.OS.Value), quote(base.Name()), quote(facts.os))
		}
	}
}

type baseFacts struct{ maca, python, torch, os string }

func (v *validator) baseFacts(base *Document) baseFacts {
	var f baseFacts
	chain, _ := v.baseChain(base)
	for _, d := range chain {
		img := d.Image
		if f.maca == "" && img.MACA != nil {
			f.maca = img.MACA.Version.Value
		}
		if f.python == "" && img.Python != nil {
			f.python = img.Python.Version.Value
		}
		if f.torch == "" {
			f.torch = img.Torch.Value
		}
		if f.os == "" {
			f.os = img.OS.Value
		}
	}
	return f
}

func (v *validator) runtime(r *RunConfig) {
	if r != nil {
		v.literal(r.ShmSize, "shmSize", v.checkSize)
	}
}

// checkSize reads a size through Rules.Size, so a recipe accepts exactly
// the sizes the container runtime does.
func (v *validator) checkSize(s string) error {
	if _, err := v.rules.Size(s); err != nil {
		return fmt.Errorf("%s is not a size such as 8g", quote(s))
	}
	return nil
}

// literal applies a format check to a value taken as written.
func (v *validator) literal(s Str, field string, check func(string) error) {
	if s.Pos.IsZero() {
		return
	}
	if err := check(s.Value); err != nil {
		v.errs.add(s.Pos, field, "%s", err)
	}
}

// expanded applies a format check to a structured value whose ${NAME}
// references are filled in at build time: each reference is replaced by a
// placeholder first, so the check sees the value's shape. A value that starts
// with a reference has no shape to see (index: ${PIP_INDEX}); it is only
// checked to be one line, and the planner checks it after substitution.
// Reference problems themselves are reported by checkRefs.
func (v *validator) expanded(s Str, field string, check func(string) error) {
	if s.Pos.IsZero() {
		return
	}
	value := placeholders(s.Value)
	if _, err := ExpandRefs(s.Value); err != nil {
		return
	}
	if strings.HasPrefix(s.Value, "${") {
		check = checkOneLine
	}
	if err := check(value); err != nil {
		// Credentials are shown as written, not with the placeholders.
		var ce *credentialsError
		if errors.As(err, &ce) && URLCredentials(s.Value) != "" {
			ce.found = URLCredentials(s.Value)
		}
		v.errs.add(s.Pos, field, "%s", err)
	}
}

// exact applies a check that no placeholder could satisfy (a digest, a
// commit id): a value with references is left for the planner, which checks
// it again after substitution.
func (v *validator) exact(s Str, field string, check func(string) error) {
	if strings.Contains(s.Value, "${") {
		return
	}
	v.literal(s, field, check)
}
