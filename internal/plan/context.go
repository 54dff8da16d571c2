package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
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
	out := &CopyStep{Dest: r.path(c.Dest, "dest")}
	if c.Mode.Value != "" {
		out.Mode = r.mode(c.Mode)
	}
	if c.Owner.Value != "" {
		out.Owner, _ = r.checked(c.Owner, "owner", recipe.CheckOwner)
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

// Limits on the files a build copies from beside its recipes. They go into
// the build context and into a bundle, which a reviewer downloads; large
// files such as model weights belong outside the image, mounted at run time.
const (
	maxContextFile  = 512 << 20
	maxContextTotal = 1 << 30
)

// contextEntry is a file of the build context before it is hashed.
type contextEntry struct {
	file   ContextFile
	copied recipe.CopiedFile
	src    recipe.Str
}

// resolveContext lists every file the copy steps name, so that the plan can
// list the build context and hash it. Sizes are checked before anything is
// read, and files are hashed as they stream, so memory does not grow with
// them.
func (r *resolver) resolveContext() error {
	byName := map[string]*contextEntry{}
	for _, c := range r.copies {
		for _, f := range c.files {
			r.addContextFile(byName, c, f)
		}
	}
	names := sortedKeys(byName)
	if !r.contextSizesOK(byName, names) {
		return nil
	}
	r.plan.Context = make([]ContextFile, 0, len(names))
	for _, n := range names {
		e := byName[n]
		sum, err := hashFile(e.copied, maxContextFile)
		if err != nil {
			r.fail(e.src.Pos, "src", "%s: %v", filepath.ToSlash(e.file.Source), err)
			continue
		}
		e.file.SHA256 = sum
		if e.copied.Embedded() {
			if e.file.embedded, err = e.copied.Read(); err != nil {
				r.fail(e.src.Pos, "src", "%v", err)
				continue
			}
		}
		r.plan.Context = append(r.plan.Context, e.file)
	}
	return nil
}

// contextSizesOK checks the sizes of the context files against the limits,
// reporting at the copy source that names a file too large, or that brings
// the total over.
func (r *resolver) contextSizesOK(byName map[string]*contextEntry, names []string) bool {
	ok := true
	var total int64
	for _, n := range names {
		e := byName[n]
		size := e.copied.Size()
		if size > maxContextFile {
			r.fail(e.src.Pos, "src", "%s is %d bytes; a file the build copies is limited to %d (512 MiB): mount large files such as model weights when the container runs (--mount) instead",
				filepath.ToSlash(e.file.Source), size, maxContextFile)
			ok = false
		}
		if total += size; total > maxContextTotal && ok {
			r.fail(e.src.Pos, "src", "with %s the files the build copies come to more than %d bytes (1 GiB): mount large files such as model weights when the container runs (--mount) instead",
				filepath.ToSlash(e.file.Source), maxContextTotal)
			ok = false
		}
	}
	return ok
}

// hashFile returns the hex sha256 of a copied file, read in pieces and no
// further than limit: a file that grew past it since it was looked at is
// refused, not read to its end.
func hashFile(f recipe.CopiedFile, limit int64) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, limit+1))
	switch {
	case err != nil:
		return "", err
	case n > limit:
		return "", fmt.Errorf("grew beyond %d bytes while being read", limit)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// addContextFile records one file.
func (r *resolver) addContextFile(byName map[string]*contextEntry, c pendingCopy, f recipe.CopiedFile) {
	mode := uint32(0o644)
	if f.Mode()&0o111 != 0 {
		mode = 0o755
	}
	name := contextName(c.unit.name, f.Rel)
	e := &contextEntry{
		file:   ContextFile{Source: r.rel(recipe.Pos{File: f.Path}).File, Path: f.Path, Name: name, Mode: mode},
		copied: f,
		src:    c.src,
	}
	if f.Embedded() {
		// A file of the catalog is nowhere on disk: it keeps its name
		// there, and its content travels with the plan.
		e.file.Source, e.file.Path = f.Path, ""
	}
	byName[name] = e
}
