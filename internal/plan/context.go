package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// contextPrefix is where a recipe's files go inside the build context:
// recipes/<recipe name>/<path relative to the recipe's folder>. Recipe names
// are unique, so files of different recipes never clash.
func contextName(recipeName, rel string) string {
	return path.Join("recipes", recipeName, filepath.ToSlash(rel))
}

// pendingCopy is a copy source whose files resolveContext reads once all
// steps are resolved.
type pendingCopy struct {
	unit  *unit
	src   recipe.Str
	files []recipe.CopiedFile
}

func (r *resolver) copyStep(u *unit, c *recipe.CopyStep, helpers map[string]string) *CopyStep {
	out := &CopyStep{Dest: r.path(c.Dest, "dest", true)}
	if c.Mode.Value != "" {
		out.Mode = r.mode(c.Mode)
	}
	if c.Owner.Value != "" {
		out.Owner, _ = r.subst(c.Owner, "owner")
		if !ownerShape.MatchString(out.Owner) {
			r.fail(c.Owner.Pos, "owner", "owner %q must be user or user:group (names or ids)", out.Owner)
		}
	}
	if c.Stage.Value != "" {
		h, ok := helpers[c.Stage.Value]
		if !ok {
			r.fail(c.Stage.Pos, "stage", "no stage %q defined before this step in %q", c.Stage.Value, u.name)
			return out
		}
		out.FromStage = h
		for _, s := range c.Src {
			if why := checkLine(s.Value); why != "" || !strings.HasPrefix(s.Value, "/") {
				r.fail(s.Pos, "src", "a path in a stage must be absolute and one line")
			}
			out.Sources = append(out.Sources, s.Value)
		}
		if len(out.Sources) > 1 && !strings.HasSuffix(out.Dest, "/") {
			r.fail(c.Dest.Pos, "dest", "several sources go into a folder: end dest with '/'")
		}
		return out
	}

	// Copy sources are checked by the rule Validate applies, so that what
	// validates also plans.
	for _, s := range c.Src {
		cs, err := u.doc.CopySource(s.Value)
		if err != nil {
			r.fail(s.Pos, "src", "%v", err)
			continue
		}
		for _, rel := range cs.Matches {
			out.Sources = append(out.Sources, contextName(u.name, rel))
		}
		r.copies = append(r.copies, pendingCopy{unit: u, src: s, files: cs.Files})
	}
	if len(out.Sources) > 1 && !strings.HasSuffix(out.Dest, "/") {
		r.fail(c.Dest.Pos, "dest", "several files go into a folder: end dest with '/'")
	}
	return out
}

// resolveContext reads every file the copy steps name, so that the plan can
// list the build context and hash it.
func (r *resolver) resolveContext() error {
	byName := map[string]ContextFile{}
	for _, c := range r.copies {
		for _, f := range c.files {
			r.addContextFile(byName, c, f)
		}
	}
	names := sortedKeys(byName)
	r.plan.Context = make([]ContextFile, 0, len(names))
	for _, n := range names {
		r.plan.Context = append(r.plan.Context, byName[n])
	}
	return nil
}

// addContextFile records one file.
func (r *resolver) addContextFile(byName map[string]ContextFile, c pendingCopy, f recipe.CopiedFile) {
	data, err := f.Read()
	if err != nil {
		r.fail(c.src.Pos, "src", "%v", err)
		return
	}
	sum := sha256.Sum256(data)
	mode := uint32(0o644)
	if f.Mode()&0o111 != 0 {
		mode = 0o755
	}
	name := contextName(c.unit.name, f.Rel)
	cf := ContextFile{
		Source: r.rel(recipe.Pos{File: f.Path}).File,
		Path:   f.Path,
		Name:   name,
		Mode:   mode,
		SHA256: hex.EncodeToString(sum[:]),
	}
	if f.Embedded() {
		cf.Source, cf.Path, cf.embedded = f.Path, "", data
	}
	byName[name] = cf
}
