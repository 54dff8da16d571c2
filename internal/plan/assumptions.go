package plan

import (
	"fmt"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Assumption is a pinned value the build uses although no source shows it,
// with the reason its recipe gives (an `unverified` mark). It is what a
// hardware run has to confirm.
type Assumption struct {
	Recipe string     `json:"recipe"`
	Pos    recipe.Pos `json:"pos"`
	// Subject says what is assumed: "arg NAME", an image field ("from",
	// "maca", "python", "torch"), or "<kind> step" for a marked step.
	Subject string `json:"subject"`
	// Value is the value as the build uses it (for a step, a summary).
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func (a Assumption) String() string {
	return fmt.Sprintf("%s: assumption (%s) %s = %s: %s", a.Pos, a.Recipe, a.Subject, a.Value, a.Reason)
}

// resolveAssumptions lists the unverified marks of the recipes the plan
// builds, in build order. A mark on an arg counts only while the marked
// value is the one used: a later recipe or --set that replaces it also
// replaces the assumption.
func (r *resolver) resolveAssumptions() {
	for _, u := range r.allUnits() {
		h := u.doc.Header()
		for _, kv := range h.Unverified {
			name := kv.Key.Value
			a := Assumption{Recipe: u.name, Pos: r.rel(kv.Key.Pos), Reason: oneLine(kv.Value.Value)}
			switch {
			case u.kind == recipe.KindImage && name == "from":
				a.Subject, a.Value = "from", u.doc.Image.From.Value
			case u.kind == recipe.KindImage && name == "torch":
				a.Subject, a.Value = "torch", u.doc.Image.Torch.Value
			case u.kind == recipe.KindImage && name == "maca":
				a.Subject = "maca"
				if m := u.doc.Image.MACA; m != nil {
					a.Value = m.Version.Value
				}
			case u.kind == recipe.KindImage && name == "python":
				a.Subject = "python"
				if py := u.doc.Image.Python; py != nil {
					a.Value = py.Version.Value
				}
			default:
				arg, ok := r.args[name]
				if !ok || arg.Recipe != u.name || arg.Overridden {
					continue
				}
				a.Subject, a.Value = "arg "+name, arg.Value
			}
			r.plan.Assumptions = append(r.plan.Assumptions, a)
		}
		for i := range u.stages {
			r.stepAssumptions(u, u.stages[i].Steps)
		}
		r.stepAssumptions(u, u.steps)
	}
}

func (r *resolver) stepAssumptions(u *unit, steps []recipe.Step) {
	for i := range steps {
		s := &steps[i]
		if s.Unverified.Pos.IsZero() {
			continue
		}
		kind, value := stepSummary(s)
		if s.Run == nil {
			value = r.expandQuiet(value)
		}
		r.plan.Assumptions = append(r.plan.Assumptions, Assumption{
			Recipe: u.name, Pos: r.rel(s.Pos), Subject: kind + " step",
			Value: value, Reason: oneLine(s.Unverified.Value),
		})
	}
}

// expandQuiet substitutes the arguments a summary refers to; what has no
// value at plan time stays as written. Problems with the references are
// reported where the steps are planned, not here.
func (r *resolver) expandQuiet(s string) string {
	out, err := recipe.Expand(s, func(name string) (string, bool) {
		if a, ok := r.args[name]; ok && !a.unknown {
			return a.Value, true
		}
		return "${" + name + "}", true
	})
	if err != nil {
		return s
	}
	return out
}

// stepSummary names a step's kind and the values it pins, as written.
func stepSummary(s *recipe.Step) (kind, value string) {
	strs := func(list []recipe.Str) string {
		out := make([]string, len(list))
		for i, v := range list {
			out[i] = v.Value
		}
		return strings.Join(out, " ")
	}
	switch {
	case s.Git != nil:
		v := s.Git.URL.Value
		if s.Git.Ref.Value != "" {
			v += " " + s.Git.Ref.Value
		}
		if s.Git.Commit.Value != "" {
			v += " " + s.Git.Commit.Value
		}
		return "git", v
	case s.Pip != nil:
		return "pip", strs(s.Pip.Packages)
	case s.Dnf != nil:
		return "dnf", strs(s.Dnf.Packages)
	case s.Apt != nil:
		return "apt", strs(s.Apt.Packages)
	case s.Download != nil:
		return "download", s.Download.URL.Value
	case s.Copy != nil:
		return "copy", strs(s.Copy.Src)
	case s.Run != nil:
		first, _, _ := strings.Cut(strings.TrimSpace(s.Run.Script.Value), "\n")
		return "run", first
	case s.Env != nil:
		var kv []string
		for _, e := range s.Env {
			kv = append(kv, e.Key.Value+"="+e.Value.Value)
		}
		return "env", strings.Join(kv, " ")
	}
	return "step", ""
}
