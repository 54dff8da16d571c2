package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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

// pendingCopy is a copy source that resolveContext reads from disk once all
// steps are resolved.
type pendingCopy struct {
	unit *unit
	src  recipe.Str
	rel  string // cleaned, relative to the recipe's folder
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

	for _, s := range c.Src {
		for _, rel := range r.copyMatches(u, s) {
			out.Sources = append(out.Sources, contextName(u.name, rel))
			r.copies = append(r.copies, pendingCopy{unit: u, src: s, rel: rel})
		}
	}
	if len(out.Sources) > 1 && !strings.HasSuffix(out.Dest, "/") {
		r.fail(c.Dest.Pos, "dest", "several files go into a folder: end dest with '/'")
	}
	return out
}

// copyMatches resolves one copy source to paths relative to the recipe's
// folder: the path itself, or the sorted matches of a wildcard pattern. The
// matches are written out in the Dockerfile, so what is copied is visible
// in the plan and does not depend on what else the context holds.
func (r *resolver) copyMatches(u *unit, s recipe.Str) []string {
	rel := filepath.Clean(filepath.FromSlash(s.Value))
	if why := checkLine(s.Value); why != "" || s.Value == "" || !filepath.IsLocal(rel) {
		r.fail(s.Pos, "src", "%q is not a path inside the recipe's folder", s.Value)
		return nil
	}
	rels := []string{rel}
	if strings.ContainsAny(rel, "*?[") {
		dir := u.doc.Dir()
		matches, err := filepath.Glob(filepath.Join(dir, rel))
		if err != nil || len(matches) == 0 {
			r.fail(s.Pos, "src", "%q matches no file beside the recipe", s.Value)
			return nil
		}
		rels = rels[:0]
		for _, m := range matches {
			mr, err := filepath.Rel(dir, m)
			if err != nil {
				r.fail(s.Pos, "src", "%v", err)
				return nil
			}
			rels = append(rels, mr)
		}
	}
	for _, p := range rels {
		// A name with these characters would be read as a pattern by COPY.
		if strings.ContainsAny(p, `*?[\`) || strings.TrimSpace(p) != p {
			r.fail(s.Pos, "src", "%q: names with *, ?, [, \\ or surrounding spaces cannot be copied; rename the file", filepath.ToSlash(p))
			return nil
		}
	}
	return rels
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
	file ContextFile
	real string // the file read, symbolic links resolved
	size int64
	src  recipe.Str
}

// resolveContext finds every file the copy steps name, so that the plan can
// list the build context and hash it. A folder stands for the files below
// it. Sizes are checked before anything is read, and files are hashed as
// they stream, so memory does not grow with them.
func (r *resolver) resolveContext() error {
	byName := map[string]*contextEntry{}
	for _, c := range r.copies {
		dir, err := filepath.Abs(c.unit.doc.Dir())
		if err != nil {
			return err
		}
		realDir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			r.fail(c.src.Pos, "src", "recipe folder: %v", err)
			continue
		}
		top := filepath.Join(dir, c.rel)
		info, err := os.Stat(top)
		if err != nil {
			r.fail(c.src.Pos, "src", "%v", pathError(err))
			continue
		}
		if !info.IsDir() {
			r.addContextFile(byName, c, realDir, top, c.rel)
			continue
		}
		err = filepath.WalkDir(top, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			r.addContextFile(byName, c, realDir, p, rel)
			return nil
		})
		if err != nil {
			r.fail(c.src.Pos, "src", "%v", pathError(err))
		}
	}
	names := sortedKeys(byName)
	if !r.contextSizesOK(byName, names) {
		return nil
	}
	r.plan.Context = make([]ContextFile, 0, len(names))
	for _, n := range names {
		e := byName[n]
		sum, err := hashFile(e.real, maxContextFile)
		if err != nil {
			r.fail(e.src.Pos, "src", "%s: %v", filepath.ToSlash(e.file.Source), err)
			continue
		}
		e.file.SHA256 = sum
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
		if e.size > maxContextFile {
			r.fail(e.src.Pos, "src", "%s is %d bytes; a file the build copies is limited to %d (512 MiB): mount large files such as model weights when the container runs (--mount) instead",
				filepath.ToSlash(e.file.Source), e.size, maxContextFile)
			ok = false
		}
		if total += e.size; total > maxContextTotal && ok {
			r.fail(e.src.Pos, "src", "with %s the files the build copies come to more than %d bytes (1 GiB): mount large files such as model weights when the container runs (--mount) instead",
				filepath.ToSlash(e.file.Source), maxContextTotal)
			ok = false
		}
	}
	return ok
}

// hashFile returns the hex sha256 of a regular file, read in pieces and no
// further than limit: a file that grew past it since it was looked at is
// refused, not read to its end.
func hashFile(path string, limit int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", errors.New(pathError(err))
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return "", errors.New("not a regular file")
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, limit+1))
	switch {
	case err != nil:
		return "", errors.New(pathError(err))
	case n > limit:
		return "", fmt.Errorf("grew beyond %d bytes while being read", limit)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// addContextFile records one file. Symbolic links are followed, but only to
// files inside the recipe's folder: a recipe must carry what it copies.
func (r *resolver) addContextFile(byName map[string]*contextEntry, c pendingCopy, realDir, file, rel string) {
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		r.fail(c.src.Pos, "src", "%v", pathError(err))
		return
	}
	if !within(realDir, real) {
		r.fail(c.src.Pos, "src", "%s links outside the recipe's folder", filepath.ToSlash(rel))
		return
	}
	info, err := os.Stat(real)
	if err != nil {
		r.fail(c.src.Pos, "src", "%v", pathError(err))
		return
	}
	if !info.Mode().IsRegular() {
		r.fail(c.src.Pos, "src", "%s is not a regular file", filepath.ToSlash(rel))
		return
	}
	mode := uint32(0o644)
	if info.Mode()&0o111 != 0 {
		mode = 0o755
	}
	abs, _ := filepath.Abs(file)
	name := contextName(c.unit.name, rel)
	byName[name] = &contextEntry{
		file: ContextFile{Source: r.rel(recipe.Pos{File: abs}).File, Path: abs, Name: name, Mode: mode},
		real: real,
		size: info.Size(),
		src:  c.src,
	}
}

// pathError drops the absolute path an fs error carries: the message goes
// next to the recipe position, which already says where.
func pathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return filepath.Base(pe.Path) + ": " + pe.Err.Error()
	}
	return err.Error()
}
