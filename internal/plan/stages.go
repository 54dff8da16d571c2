package plan

import (
	"fmt"
	"regexp"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Stage names. The Dockerfile has one stage holding the base image ("base"),
// then per recipe its helper stages ("<recipe>.<stage>") and one stage with
// its steps ("after-<recipe>": the image once that recipe is applied). A
// helper stage written `from: base` starts from the previous recipe's stage,
// which is exactly "the image as it stands before this recipe". Recipe and
// stage names are lowercase letters, digits, '.' and '-', so these names are
// valid Dockerfile stage names; the contrived clashes left (a recipe named
// "after-x" with a stage "y" next to a recipe named "x.y") are refused.
const baseStage = "base"

func recipeStage(recipeName string) string { return "after-" + recipeName }

func helperStage(recipeName, stage string) string { return recipeName + "." + stage }

// validStageName is the frontend's rule for `FROM ... AS <name>`.
var validStageName = regexp.MustCompile(`^[a-z][a-z0-9-_.]*$`)

// addStage appends a stage to the plan, refusing invalid and repeated names.
func (r *resolver) addStage(s Stage, namePos recipe.Pos) string {
	if !validStageName.MatchString(s.Name) {
		r.fail(namePos, "name", "stage name %q is not valid in a Dockerfile: lowercase letters, digits, '-', '_' and '.', starting with a letter", s.Name)
	}
	for _, have := range r.plan.Stages {
		if have.Name == s.Name {
			r.fail(namePos, "name", "stage %q is defined twice", s.Name)
		}
	}
	r.plan.Stages = append(r.plan.Stages, s)
	return s.Name
}

// resolveSteps lays out the stages and resolves every step into them.
func (r *resolver) resolveSteps() {
	first := r.units[0].doc.Image
	baseRef, _ := r.checked(first.From, "from", recipe.CheckImageRef)
	r.plan.BaseRef = baseRef
	prev := r.addStage(Stage{
		Name: baseStage, Role: RoleBase, From: baseRef, FromImage: true,
		Recipe: r.units[0].name, Pos: r.rel(first.From.Pos),
	}, first.From.Pos)

	done := map[string]string{} // recipe -> its stage, for stages built on an image of the chain
	for _, u := range r.units {
		helpers := map[string]string{}
		for i := range u.stages {
			hs := &u.stages[i]
			s := Stage{Name: helperStage(u.name, hs.Name.Value), Role: RoleHelper, Recipe: u.name, Pos: r.rel(hs.Name.Pos)}
			s.From, s.FromImage = r.stageFrom(hs.From, prev, helpers, done)
			name := r.addStage(s, hs.Name.Pos)
			for j := range hs.Steps {
				r.step(u, name, helpers, &hs.Steps[j])
			}
			helpers[hs.Name.Value] = name
		}

		name := r.addStage(Stage{
			Name: recipeStage(u.name), Role: RoleRecipe, From: prev,
			Recipe: u.name, Pos: r.rel(u.doc.Pos),
		}, u.doc.Header().Name.Pos)
		r.envSteps(u, name, u.env, "")
		for j := range u.steps {
			r.step(u, name, helpers, &u.steps[j])
		}
		done[u.name] = name
		prev = name
	}
	r.declareArgs()
	r.warnUnusedStages()
}

// warnUnusedStages points out helper stages the image does not depend on:
// BuildKit builds only what the last stage needs, so their steps never run.
func (r *resolver) warnUnusedStages() {
	used := map[string]bool{}
	var mark func(name string)
	mark = func(name string) {
		if used[name] {
			return
		}
		used[name] = true
		for _, s := range r.plan.Stages {
			if s.Name == name && !s.FromImage {
				mark(s.From)
			}
		}
		for _, st := range r.plan.Steps {
			if st.Stage == name && st.Copy != nil && st.Copy.FromStage != "" {
				mark(st.Copy.FromStage)
			}
		}
	}
	mark(r.plan.Stages[len(r.plan.Stages)-1].Name)
	for _, s := range r.plan.Stages {
		if s.Role == RoleHelper && !used[s.Name] {
			r.plan.Warnings = append(r.plan.Warnings, Warning{Pos: s.Pos, Msg: fmt.Sprintf(
				"stage %s is not copied from, so the build skips it", s.Name)})
		}
	}
}

// stageFrom resolves what a helper stage builds on: the image before the
// recipe ("base"), an earlier stage of the recipe, an Image of the base
// chain, or an image reference.
func (r *resolver) stageFrom(from recipe.Str, prev string, helpers, done map[string]string) (string, bool) {
	switch {
	case from.Value == "base":
		return prev, false
	case helpers[from.Value] != "":
		return helpers[from.Value], false
	case done[from.Value] != "":
		return done[from.Value], false
	}
	if d, ok := r.set.Lookup(from.Value); ok {
		r.fail(from.Pos, "from", "%q is %s outside this target's base chain; a stage builds on 'base', an earlier stage, an image of the chain or an image reference",
			from.Value, kindArticle(d.Kind()))
		return from.Value, true
	}
	ref, _ := r.checked(from, "from", recipe.CheckImageRef)
	return ref, true
}

func kindArticle(k recipe.Kind) string {
	if k == recipe.KindImage {
		return "an Image"
	}
	return "a " + string(k)
}

// declareArgs lists in each stage the arguments its run scripts can read:
// those of the recipe that owns the stage and any other its scripts refer to.
// Declaring every argument everywhere would make a change to one layer's
// argument rebuild every other layer's steps.
func (r *resolver) declareArgs() {
	for i := range r.plan.Stages {
		s := &r.plan.Stages[i]
		if s.Role == RoleBase {
			continue
		}
		want := map[string]bool{}
		for _, name := range r.declared[s.Recipe] {
			want[name] = true
		}
		for _, step := range r.plan.Steps {
			if step.Stage != s.Name || step.Run == nil {
				continue
			}
			for _, name := range scriptRefs(step.Run.Script) {
				if a, ok := r.args[name]; ok && !a.unknown {
					want[name] = true
				}
			}
		}
		for _, a := range r.plan.Args {
			if want[a.Name] {
				s.Args = append(s.Args, a.Name)
			}
		}
	}
}
