package plan

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// unit is one recipe of the target as the plan applies it: an image of the
// base chain, a layer, or the stack itself (which has no steps).
type unit struct {
	doc    *recipe.Document
	name   string
	kind   recipe.Kind
	args   recipe.Map
	env    recipe.Map
	stages []recipe.Stage
	steps  []recipe.Step
	smoke  []recipe.Test
	run    *recipe.RunConfig
}

func newUnit(d *recipe.Document) *unit {
	u := &unit{doc: d, name: d.Name(), kind: d.Kind()}
	switch {
	case d.Image != nil:
		im := d.Image
		u.args, u.env, u.stages, u.steps, u.smoke, u.run = im.Args, im.Env, im.Stages, im.Steps, im.Smoke, im.Run
	case d.Layer != nil:
		l := d.Layer
		u.args, u.env, u.stages, u.steps, u.smoke, u.run = l.Args, l.Env, l.Stages, l.Steps, l.Smoke, l.Run
	case d.Stack != nil:
		u.args, u.smoke = d.Stack.Args, d.Stack.Smoke
	}
	return u
}

// New resolves target, the name of a Stack or Image in set (or the path of a
// file holding one), into a Plan. Problems with the recipes are returned as
// recipe.Errors, each at the position it concerns.
func New(set *recipe.Set, target string, opts Options) (*Plan, error) {
	if set == nil {
		return nil, errors.New("no recipes loaded")
	}
	doc, err := findTarget(set, target)
	if err != nil {
		return nil, err
	}
	r := &resolver{set: set, opts: opts, embedded: map[string]bool{}}
	for _, d := range set.Docs {
		if d.Embedded != nil {
			r.embedded[d.File] = true
		}
	}
	if err := r.chain(doc); err != nil {
		return nil, err
	}
	if r.root, err = filepath.Abs(planRoot(set, r.units)); err != nil {
		return nil, err
	}
	r.plan = &Plan{
		Target:    doc.Name(),
		Kind:      doc.Kind(),
		TargetPos: r.rel(doc.Pos),
		Cell:      doc.Cell,
	}
	r.describeBase()
	if err := r.resolveArgs(); err != nil {
		return nil, err
	}
	// Every recipe problem is collected before returning, so one run tells
	// the author all there is to fix.
	r.resolveSteps()
	r.resolveTags()
	r.resolveRuntime()
	r.resolveSmoke()
	r.resolveAssumptions()
	if err := r.resolveContext(); err != nil {
		return nil, err
	}
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	digest, err := inputsDigest(r.plan, r.allUnits())
	if err != nil {
		return nil, err
	}
	r.plan.InputsDigest = digest
	if err := r.plan.identifySteps(); err != nil {
		return nil, err
	}
	r.plan.findUnlocked()
	if r.opts.Lock != nil {
		r.applyLock(r.opts.Lock, r.opts.LockFile)
	}
	r.resolveLabels()
	if err := r.errs.Err(); err != nil {
		return nil, err
	}
	return r.plan, nil
}

// resolver carries the state of one New call.
type resolver struct {
	set  *recipe.Set
	opts Options
	root string
	errs recipe.Errors

	// units are the recipes in the order their steps apply: the base chain
	// from the image the build starts from, then the layers. The stack, which
	// has no steps, is apart.
	units []*unit
	stack *unit
	plan  *Plan

	args     map[string]*argState
	declared map[string][]string // recipe name -> args it declares, in order
	copies   []pendingCopy
	// embedded holds the names of the recipe files read from the catalog
	// built into macabox.
	embedded map[string]bool

	// expanded counts the bytes substitution produced, against maxExpanded;
	// expandedFull is set once they passed it.
	expanded     int
	expandedFull bool
}

// fail records a recipe problem, once: some are met twice (arguments are
// evaluated with and without Options.Args).
func (r *resolver) fail(pos recipe.Pos, field, format string, a ...any) {
	e := &recipe.Error{Pos: pos, Field: field, Msg: fmt.Sprintf(format, a...)}
	for _, have := range r.errs {
		if *have == *e {
			return
		}
	}
	r.errs = append(r.errs, e)
}

// allUnits is units plus the stack.
func (r *resolver) allUnits() []*unit {
	if r.stack == nil {
		return r.units
	}
	return append(slices.Clip(r.units), r.stack)
}

// describeBase fills what the plan says about the base: the reference the
// chain starts from, and the nearest declaration of MACA, Python and platform.
func (r *resolver) describeBase() {
	p := r.plan
	p.Platform = "linux/amd64"
	for _, u := range r.units {
		switch u.kind {
		case recipe.KindImage:
			im := u.doc.Image
			p.Images = append(p.Images, u.name)
			if len(p.Images) == 1 {
				p.BaseRef = im.From.Value
			}
			if im.Simulated.Value {
				p.Simulated = true
			}
			if im.MACA != nil {
				p.MACA = MACA{Version: im.MACA.Version.Value, Path: im.MACA.Path.Value}
				if p.MACA.Path == "" {
					p.MACA.Path = "/opt/maca"
				}
			}
			if im.Python != nil && im.Python.Path.Value != "" {
				p.Python = im.Python.Path.Value
			}
			if im.Platform.Value != "" {
				p.Platform = normalPlatform(im.Platform.Value)
			}
		case recipe.KindLayer:
			p.Layers = append(p.Layers, u.name)
		}
	}
}

// normalPlatform spells a platform as BuildKit does (linux/x86_64 is
// linux/amd64), so TARGETPLATFORM and TARGETARCH hold what the builder
// will set. Validation has accepted the value; one that still does not
// parse is kept as written for the builder to refuse.
func normalPlatform(s string) string {
	if n, err := imageref.NormalizePlatform(s); err == nil {
		return n
	}
	return s
}

// resolveTags substitutes arguments in the stack's tags, so that a tag can
// carry a version: mineru:${MINERU_VERSION}-maca3.0.
func (r *resolver) resolveTags() {
	if r.stack == nil {
		return
	}
	r.plan.Tags = r.checkedAll(r.stack.doc.Stack.Tags, "tags", recipe.CheckImageRef)
}

// resolveRuntime merges the runtime wishes: privileged if any recipe asks,
// and the shm size of the last recipe that gives one.
func (r *resolver) resolveRuntime() {
	rt := &r.plan.Runtime
	for _, u := range r.units {
		if u.run == nil {
			continue
		}
		if u.run.Privileged.Value {
			rt.Privileged = true
			if rt.PrivilegedPos.IsZero() {
				rt.PrivilegedPos = r.rel(u.run.Privileged.Pos)
			}
		}
		if u.run.ShmSize.Value != "" {
			rt.ShmSize = u.run.ShmSize.Value
			rt.ShmSizePos = r.rel(u.run.ShmSize.Pos)
		}
	}
}

// resolveSmoke merges the smoke tests: base chain first, then the layers,
// then the stack's own.
func (r *resolver) resolveSmoke() {
	for _, u := range r.allUnits() {
		for i := range u.smoke {
			t := &u.smoke[i]
			st := SmokeTest{Name: t.Name.Value, Kind: testKind(t), Recipe: u.name, Pos: r.rel(t.Pos)}
			if st.Pos.IsZero() {
				st.Pos = r.rel(t.Name.Pos)
			}
			for _, n := range t.Needs {
				st.Needs = append(st.Needs, n.Value)
			}
			st.Test, st.Source = r.smokeTest(t, u.name, st.Pos), t
			r.plan.Smoke = append(r.plan.Smoke, st)
		}
	}
}

// smokeTest is the runners' form of a recipe's test, with no positions but
// the one reports point at ("file:line"). The structured values (file,
// expect.files, service.ready.http, env) get their arguments substituted
// here, since nothing later would: a runner passes them on as they are.
// Shell text (run, probe, service.run) and patterns stay as written.
func (r *resolver) smokeTest(t *recipe.Test, recipeName string, pos recipe.Pos) smoke.Test {
	st := smoke.Test{
		Name: t.Name.Value, Recipe: recipeName,
		Run: t.Run.Value, Variable: t.Variable.Value,
		Probe: t.Probe.Value, Timeout: t.Timeout.Value, Needs: values(t.Needs), XFail: t.XFail.Value,
	}
	st.File, _ = r.checked(t.File, "file", recipe.CheckAbsPath)
	if pos.File != "" {
		st.Origin = pos.File + ":" + strconv.Itoa(pos.Line)
	}
	if s := t.Service; s != nil {
		st.Service = &smoke.Service{Run: s.Run.Value, Timeout: s.Timeout.Value}
		if s.Ready != nil {
			st.Service.ReadyTCP = s.Ready.TCP.Value
			st.Service.ReadyHTTP, _ = r.checked(s.Ready.HTTP, "http", recipe.CheckHTTPURL)
		}
	}
	if e := t.Expect; e != nil {
		st.Expect = &smoke.Expect{
			Stdout: e.Stdout.Value, Stderr: e.Stderr.Value,
			NotStdout: e.NotStdout.Value, NotStderr: e.NotStderr.Value,
			Files: r.checkedAll(e.Files, "files", recipe.CheckAbsPath), Mode: e.Mode.Value, Content: e.Content.Value, Value: e.Value.Value,
		}
		if e.Exit != nil {
			exit := e.Exit.Value
			st.Expect.Exit = &exit
		}
		if e.Exists != nil {
			exists := e.Exists.Value
			st.Expect.Exists = &exists
		}
	}
	for _, kv := range t.Env {
		v, _ := r.checked(kv.Value, kv.Key.Value, recipe.CheckFreeValue)
		st.Env = append(st.Env, smoke.EnvVar{Name: kv.Key.Value, Value: v})
	}
	st.Compare, st.Bench = r.smokeCompare(t.Compare), smokeBench(t.Bench)
	return st
}

func values(list []recipe.Str) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Value
	}
	return out
}

func testKind(t *recipe.Test) string {
	switch {
	case t.Service != nil:
		return "service"
	case t.File.Value != "":
		return "file"
	case t.Variable.Value != "":
		return "variable"
	}
	return "run"
}
