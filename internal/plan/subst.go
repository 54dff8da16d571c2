package plan

import (
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// subst resolves the ${NAME} references of a structured field (a package
// name, URL, path...) to argument values at plan time, so that the
// Dockerfile holds the values themselves and nothing is left to expand. The
// result must fit on one Dockerfile line. Problems are recorded at the
// field's position; the second result says whether there were none.
func (r *resolver) subst(v recipe.Str, field string) (string, bool) {
	ok := true
	out, err := r.expand(v.Value, func(name string) (string, bool) {
		a, found := r.args[name]
		switch {
		case !found:
			r.fail(v.Pos, field, "${%s} is not an argument; known: %s", name, knownList(sortedKeys(r.args)))
		case a.unknown:
			r.fail(v.Pos, field, "${%s} has no value when planning: %s", name, a.why)
		default:
			return a.Value, true
		}
		ok = false
		return "", true
	})
	if err != nil {
		r.fail(v.Pos, field, "%s", r.expandProblem(err, r.argLen))
		return "", false
	}
	if why := checkLine(out); why != "" {
		r.fail(v.Pos, field, "the value %s", why)
		return out, false
	}
	return out, ok
}

// checked resolves a structured value and holds the result to rule, the
// recipe format's rule of the field (recipe.CheckImageRef, ...), the same
// the validator applies to a value written without ${NAME}. An absent
// value (no position) is not checked.
func (r *resolver) checked(v recipe.Str, field string, rule func(string) error) (string, bool) {
	out, ok := r.subst(v, field)
	if !ok || v.Pos.IsZero() {
		return out, ok
	}
	if err := rule(out); err != nil {
		r.fail(v.Pos, field, "%v%s", err, r.argNotes(v.Value))
		return out, false
	}
	return out, true
}

// checkedAll resolves a list of structured values under one rule.
func (r *resolver) checkedAll(vs []recipe.Str, field string, rule func(string) error) []string {
	var out []string
	for _, v := range vs {
		s, _ := r.checked(v, field, rule)
		out = append(out, s)
	}
	return out
}

// argNotes says where the arguments a value refers to got their values,
// following arguments whose defaults refer to others, for a problem found
// after substitution: " (${TAG} set at file:line:col, ${VERSION} from --set
// VERSION)".
func (r *resolver) argNotes(raw string) string {
	const most = 6
	var notes []string
	seen := map[string]bool{}
	var visit func(raw string)
	visit = func(raw string) {
		refs, _ := recipe.ExpandRefs(raw)
		for _, ref := range refs {
			a, ok := r.args[ref.Name]
			if !ok || seen[ref.Name] {
				continue
			}
			seen[ref.Name] = true
			switch {
			case a.Overridden:
				notes = append(notes, "${"+ref.Name+"} from --set "+ref.Name)
			case a.Builtin:
				notes = append(notes, "${"+ref.Name+"} set by macabox")
			default:
				notes = append(notes, "${"+ref.Name+"} set at "+a.Pos.String())
				visit(a.def.Value)
			}
		}
	}
	visit(raw)
	if len(notes) == 0 {
		return ""
	}
	if len(notes) > most {
		notes = append(notes[:most:most], "…")
	}
	return " (" + strings.Join(notes, ", ") + ")"
}

// envValue resolves an environment value: arguments are substituted, other
// references stay for the build to expand, since inherited variables such as
// PATH are only known there. The result is in recipe syntax ($$ for $).
func (r *resolver) envValue(v recipe.Str) (string, bool) {
	segs, err := splitRefs(v.Value)
	if err != nil {
		r.fail(v.Pos, "env", "%v", err)
		return "", false
	}
	ok := true
	var kept []segment
	size, biggest, biggestLen := 0, "", -1
	for _, s := range segs {
		// An argument is substituted; any other reference stays as it is.
		if a, isArg := r.args[s.Ref]; isArg && !a.unknown {
			s = segment{Lit: a.Value}
			if len(a.Value) > biggestLen {
				biggest, biggestLen = a.Name, len(a.Value)
			}
		}
		kept = append(kept, s)
		if size += len(s.Lit) + len(s.Ref); size > maxValueLen {
			r.fail(v.Pos, "env", "%s", r.expandProblem(tooLong(biggest), r.argLen))
			return "", false
		}
	}
	if err := r.charge(size); err != nil {
		r.fail(v.Pos, "env", "%v", err)
		return "", false
	}
	for _, s := range kept {
		if why := checkLine(s.Lit); why != "" {
			r.fail(v.Pos, "env", "the value %s", why)
			ok = false
		}
	}
	return joinRefs(mergeLiterals(kept)), ok
}

func mergeLiterals(segs []segment) []segment {
	var out []segment
	for _, s := range segs {
		if n := len(out); n > 0 && s.Ref == "" && out[n-1].Ref == "" {
			out[n-1].Lit += s.Lit
			continue
		}
		out = append(out, s)
	}
	return out
}
