package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// argState is an argument while it is resolved.
type argState struct {
	Arg
	def  recipe.Str // the winning definition; its value may refer to other args
	orig recipe.Pos // where def was written, as loaded, for error messages
	// unknown marks a builtin without a value at plan time: one only the
	// build knows (SOURCE_DATE_EPOCH), or one the base chain does not declare
	// (MACA_VERSION of an image without maca). why says which.
	unknown  bool
	why      string
	override string // from Options.Args, when Overridden
}

// resolveArgs gives every argument its final value: the defaults of the
// images, then the layers, each later one overriding, then the stack's
// overrides, then Options.Args. A default may refer to other arguments and
// to the builtins; it is expanded once every override is known, so that
// overriding VERSION also changes a default written as v${VERSION}.
// Problems with Options.Args are not recipe problems and come back as a
// plain error.
func (r *resolver) resolveArgs() error {
	r.args = map[string]*argState{}
	r.declared = map[string][]string{}
	r.addBuiltins()
	var order []string
	for _, u := range r.units {
		for _, kv := range u.args {
			name := kv.Key.Value
			if a, ok := r.args[name]; ok && a.Builtin {
				r.fail(kv.Key.Pos, "args", "%s is set by macabox and cannot be declared", name)
				continue
			}
			if !recipe.IsName(name) {
				r.fail(kv.Key.Pos, "args", "argument name %q must be letters, digits and '_', not starting with a digit", name)
				continue
			}
			a, ok := r.args[name]
			if !ok {
				a = &argState{Arg: Arg{Name: name}}
				r.args[name] = a
				order = append(order, name)
			}
			a.def, a.orig, a.Recipe, a.Pos = kv.Value, kv.Value.Pos, u.name, r.rel(kv.Value.Pos)
			if !slices.Contains(r.declared[u.name], name) {
				r.declared[u.name] = append(r.declared[u.name], name)
			}
		}
	}
	if r.stack != nil {
		for _, kv := range r.stack.args {
			a, ok := r.args[kv.Key.Value]
			if !ok || a.Builtin {
				r.fail(kv.Key.Pos, "args", "%q is not an argument of the stack's image or layers; known: %s", kv.Key.Value, knownList(order))
				continue
			}
			a.def, a.orig, a.Recipe, a.Pos = kv.Value, kv.Value.Pos, r.stack.name, r.rel(kv.Value.Pos)
		}
	}

	var unknown []string
	for _, name := range sortedKeys(r.opts.Args) {
		a, ok := r.args[name]
		switch {
		case ok && a.Builtin:
			return fmt.Errorf("--set %s: %s is set by macabox from the base image, not by --set", name, name)
		case !ok:
			unknown = append(unknown, name)
			continue
		}
		v := r.opts.Args[name]
		if why := checkLine(v); why != "" {
			return fmt.Errorf("--set %s: the value %s", name, why)
		}
		if len(v) > maxValueLen {
			return fmt.Errorf("--set %s: the value is %d bytes; a value is limited to %d (32 KiB)", name, len(v), maxValueLen)
		}
		if c := recipe.URLCredentials(v); c != "" {
			return fmt.Errorf("--set %s: %q carries credentials, which would be stored in the image's build arguments, the plan and every bundle; give them as a build secret (--secret) that the recipe's step reads (git: token, pip: netrc, run: secrets)", name, c)
		}
		// A value from the command line is taken literally: the shell that
		// ran macabox has already expanded what the user meant to expand.
		a.override, a.Overridden = v, true
	}
	if len(unknown) > 0 {
		return fmt.Errorf("--set: unknown argument %s; known: %s", strings.Join(unknown, ", "), knownList(order))
	}

	// Defaults are what the recipes alone give; values add Options.Args.
	defaults := r.evalArgs(order, false)
	values := r.evalArgs(order, true)
	for _, name := range order {
		a := r.args[name]
		a.Default, a.Value = defaults[name], values[name]
	}
	for _, name := range sortedKeys(r.args) {
		if a := r.args[name]; a.Builtin && !a.unknown {
			r.plan.Args = append(r.plan.Args, a.Arg)
		}
	}
	for _, name := range order {
		r.plan.Args = append(r.plan.Args, r.args[name].Arg)
	}
	return nil
}

// addBuiltins declares the arguments macabox provides (recipe.BuiltinArgs)
// with the values the base chain gives them.
func (r *resolver) addBuiltins() {
	p := r.plan
	var arch string
	if pl, err := imageref.ParsePlatform(p.Platform); err == nil {
		arch = pl.Architecture
	}
	values := map[string]string{
		"MACA_VERSION":   p.MACA.Version,
		"MACA_PATH":      p.MACA.Path,
		"PYTHON":         p.Python,
		"TARGETPLATFORM": p.Platform,
		"TARGETARCH":     arch,
	}
	missing := map[string]string{
		"MACA_VERSION": "the base chain declares no maca",
		"MACA_PATH":    "the base chain declares no maca",
		"PYTHON":       "the base chain declares no python",
		"TARGETARCH":   "the platform " + p.Platform + " is not os/arch",
	}
	for _, name := range recipe.BuiltinArgs() {
		v, known := values[name]
		a := &argState{Arg: Arg{Name: name, Value: v, Default: v, Recipe: "macabox", Builtin: true}}
		switch {
		case !known:
			a.unknown, a.why = true, "it is only known when the image is built; use it in a run script"
		case v == "":
			a.unknown, a.why = true, missing[name]
		}
		r.args[name] = a
	}
}

// evalArgs computes every argument's value from its definition, resolving
// the arguments a default refers to first; with useOpts, Options.Args
// replace definitions (taken literally: the shell that ran macabox has
// already expanded what the user meant to expand).
func (r *resolver) evalArgs(order []string, useOpts bool) map[string]string {
	values := map[string]string{}
	state := map[string]int{} // 1 resolving, 2 resolved
	var eval func(a *argState) string
	eval = func(a *argState) string {
		switch {
		case a.Builtin:
			return a.Value
		case useOpts && a.Overridden:
			return a.override
		case state[a.Name] == 2:
			return values[a.Name]
		case state[a.Name] == 1:
			r.fail(a.orig, a.Name, "the default of %s refers back to itself through other arguments", a.Name)
			return ""
		}
		state[a.Name] = 1
		v, err := r.expand(a.def.Value, func(name string) (string, bool) {
			b, ok := r.args[name]
			if !ok || b.unknown {
				return "", false
			}
			return eval(b), true
		})
		switch {
		case err != nil:
			r.fail(a.orig, a.Name, "%s", r.expandProblem(err, func(name string) int { return len(values[name]) }))
		case checkLine(v) != "":
			r.fail(a.orig, a.Name, "the value %s", checkLine(v))
		default:
			// Parts that are harmless apart can join into a URL with
			// credentials; args end up in the image's history.
			if err := recipe.CheckFreeValue(v); err != nil {
				r.fail(a.orig, a.Name, "%v%s", err, r.argNotes(a.def.Value))
			}
		}
		values[a.Name], state[a.Name] = v, 2
		return v
	}
	for _, name := range order {
		values[name] = eval(r.args[name])
	}
	return values
}

func knownList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	return strings.Join(sorted, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
