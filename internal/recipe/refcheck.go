package recipe

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
)

// scope is what ${NAME} may refer to at one point of a recipe.
type scope struct {
	// args are the arguments visible to structured values.
	args map[string]bool
	// outer are the arguments visible to the defaults of this document's own
	// args, which may also use the entries before them.
	outer map[string]bool
	// env are the variables set before this point, for env values.
	env map[string]bool
	// in names the stack a layer is checked in, for messages: `stack "x"`,
	// or for the cells of a matrix, which all read the same names,
	// `matrix "m"`.
	in string
	// test is set inside a smoke test, whose env the runners pass to the
	// container as it is: only arguments, substituted when planning, can
	// be referred to there.
	test bool
}

func (sc *scope) clone() *scope {
	c := *sc
	c.env = maps.Clone(sc.env)
	return &c
}

func setOf(names ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, list := range names {
		for _, n := range list {
			m[n] = true
		}
	}
	return m
}

// checkRefs checks every ${NAME} reference of every document, each in the
// context it is built in: an image with its base chain, a layer in each stack
// that uses it (or alone when none does), a stack with its base and layers.
func (v *validator) checkRefs() {
	for _, d := range v.set.Docs {
		switch {
		case d.Image != nil:
			chain, _ := v.baseChain(d)
			outer := v.chainArgs(chain[1:])
			sc := &scope{outer: outer, args: with(outer, mapKeys(d.Image.Args)), env: v.chainEnv(chain[1:])}
			v.walkRefs(reflect.ValueOf(d.Image).Elem(), "", sc)
		case d.Layer != nil:
			v.layerRefs(d)
		case d.Stack != nil:
			v.stackRefs(d)
		}
	}
	for _, c := range v.cells {
		v.stackRefs(c)
	}
}

func (v *validator) layerRefs(d *Document) {
	stacks := v.stacksOf[d]
	if len(stacks) == 0 {
		outer := setOf(BuiltinArgs())
		sc := &scope{outer: outer, args: with(outer, mapKeys(d.Layer.Args)), env: setOf(InheritedEnv())}
		v.walkRefs(reflect.ValueOf(d.Layer).Elem(), "", sc)
		return
	}
	for _, st := range stacks {
		chain := v.stackChain(st)
		outer := with(v.chainArgs(chain), mapKeys(st.Stack.Args))
		env := v.chainEnv(chain)
		for _, ref := range st.Stack.Layers {
			l, ok := v.byName[ref.Value]
			if !ok || l.Layer == nil {
				continue
			}
			if l == d {
				break
			}
			outer = with(outer, mapKeys(l.Layer.Args))
			env = with(env, envKeys(l.Layer.Env, l.Layer.Steps))
		}
		sc := &scope{outer: outer, args: with(outer, mapKeys(d.Layer.Args)), env: env, in: "stack " + quote(st.Name())}
		if st.Cell != nil {
			sc.in = "matrix " + quote(st.Cell.Matrix)
		}
		v.walkRefs(reflect.ValueOf(d.Layer).Elem(), "", sc)
	}
}

func (v *validator) stackRefs(d *Document) {
	chain := v.stackChain(d)
	outer := v.chainArgs(chain)
	env := v.chainEnv(chain)
	for _, ref := range d.Stack.Layers {
		if l, ok := v.byName[ref.Value]; ok && l.Layer != nil {
			outer = with(outer, mapKeys(l.Layer.Args))
			env = with(env, envKeys(l.Layer.Env, l.Layer.Steps))
		}
	}
	sc := &scope{outer: outer, args: with(outer, mapKeys(d.Stack.Args)), env: env}
	v.walkRefs(reflect.ValueOf(d.Stack).Elem(), "", sc)
}

// stackChain is the base chain of a stack, root last; empty when the base is
// unknown.
func (v *validator) stackChain(st *Document) []*Document {
	base, ok := v.byName[st.Stack.Base.Value]
	if !ok || base.Image == nil {
		return nil
	}
	chain, _ := v.baseChain(base)
	return chain
}

// chainArgs are the builtins and the args of the given images.
func (v *validator) chainArgs(chain []*Document) map[string]bool {
	m := setOf(BuiltinArgs())
	for _, d := range chain {
		for _, kv := range d.Image.Args {
			m[kv.Key.Value] = true
		}
	}
	return m
}

// chainEnv are the inherited variables and those the given images set.
func (v *validator) chainEnv(chain []*Document) map[string]bool {
	m := setOf(InheritedEnv())
	for _, d := range chain {
		for k := range envKeys(d.Image.Env, d.Image.Steps) {
			m[k] = true
		}
	}
	return m
}

func envKeys(env Map, steps []Step) map[string]bool {
	m := map[string]bool{}
	for _, kv := range env {
		m[kv.Key.Value] = true
	}
	for _, st := range steps {
		for _, kv := range st.Env {
			m[kv.Key.Value] = true
		}
	}
	return m
}

func mapKeys(m Map) map[string]bool {
	out := make(map[string]bool, len(m))
	for _, kv := range m {
		out[kv.Key.Value] = true
	}
	return out
}

// with returns the union of a and b, leaving both unchanged.
func with(a, b map[string]bool) map[string]bool {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

// walkRefs visits the values of a recipe struct in declaration order, so that
// env entries and env steps are seen in the order they take effect. Which
// strings hold references is decided by the vars tags alone.
func (v *validator) walkRefs(val reflect.Value, key string, sc *scope) {
	switch val.Type() {
	case strType:
		v.refs(val.Interface().(Str), key, sc.args, nil, sc.in)
		return
	case mapType:
		v.mapRefs(val.Interface().(Map), key, sc)
		return
	case intType, floatType, boolType, durationType, posType:
		return
	}
	switch val.Kind() {
	case reflect.Pointer:
		if !val.IsNil() {
			v.walkRefs(val.Elem(), key, sc)
		}
	case reflect.Slice:
		// Stages and tests get a scope of their own: what they set does not
		// carry over to the steps that follow.
		test := val.Type().Elem() == reflect.TypeFor[Test]()
		own := test || val.Type().Elem() == reflect.TypeFor[Stage]()
		for i := range val.Len() {
			s := sc
			if own {
				s = sc.clone()
				s.test = test
			}
			v.walkRefs(val.Index(i), key, s)
		}
	case reflect.Struct:
		for _, f := range v.types.get(val.Type()).Fields {
			if f.Vars == "" {
				v.walkRefs(val.FieldByIndex(f.Index), f.Key, sc)
			}
		}
	}
}

// mapRefs checks a mapping's values. Keys are names, never expanded.
func (v *validator) mapRefs(m Map, key string, sc *scope) {
	switch key {
	case "args":
		// An arg's default may use the builtins, outer args and the args
		// declared before it.
		visible := maps.Clone(sc.outer)
		for _, kv := range m {
			v.refs(kv.Value, kv.Key.Value, visible, nil, sc.in)
			visible[kv.Key.Value] = true
		}
	case "env":
		if sc.test {
			for _, kv := range m {
				v.testEnvRefs(kv, sc)
			}
			return
		}
		for _, kv := range m {
			v.refs(kv.Value, kv.Key.Value, sc.args, sc.env, sc.in)
			sc.env[kv.Key.Value] = true
		}
	default:
		for _, kv := range m {
			v.refs(kv.Value, kv.Key.Value, sc.args, nil, sc.in)
		}
	}
}

// refs checks the references of one value against the visible args and, for
// env values, the variables set before.
func (v *validator) refs(s Str, field string, args, env map[string]bool, in string) {
	if s.Pos.IsZero() {
		return
	}
	refs, err := ExpandRefs(s.Value)
	if err != nil {
		v.refError(s.Pos, field, err.Error())
		return
	}
	for _, r := range refs {
		if args[r.Name] || env[r.Name] {
			continue
		}
		msg := fmt.Sprintf("${%s} is not a declared arg", r.Name)
		if env != nil {
			msg = fmt.Sprintf("${%s} is neither a declared arg nor a variable set before", r.Name)
		}
		if in != "" {
			msg += " (in " + in + ")"
		}
		v.refError(s.Pos, field, msg+didYouMean(r.Name, slices.Sorted(maps.Keys(with(args, env)))))
	}
}

// testEnvRefs checks a smoke test's env value: it may refer to arguments
// only. A variable of the image is named as such, since writing one there
// is an easy mistake: nothing in a test's env is expanded in the container.
func (v *validator) testEnvRefs(kv KV, sc *scope) {
	refs, err := ExpandRefs(kv.Value.Value)
	if err != nil {
		v.refs(kv.Value, kv.Key.Value, sc.args, nil, sc.in)
		return
	}
	for _, r := range refs {
		if !sc.args[r.Name] && sc.env[r.Name] {
			v.refError(kv.Value.Pos, kv.Key.Value, fmt.Sprintf("${%s} is a variable of the image, which a test's env cannot refer to (only arguments are substituted there); the test's command can read $%s in the container", r.Name, r.Name))
			return
		}
	}
	v.refs(kv.Value, kv.Key.Value, sc.args, nil, sc.in)
}

// refError records a reference problem once, however many contexts find it.
func (v *validator) refError(pos Pos, field, msg string) {
	e := Error{Pos: pos, Field: field, Msg: msg}
	if v.reported[e] {
		return
	}
	v.reported[e] = true
	v.errs.errs = append(v.errs.errs, &e)
}
