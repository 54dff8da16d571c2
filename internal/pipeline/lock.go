package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/replacefile"
)

// LockOptions are `macabox lock TARGET...`.
type LockOptions struct {
	// Root is --root.
	Root    string
	Targets []string
	// Request supplies what the build would get: arguments, bases, secrets,
	// platform. Its epoch and tags do not matter to a lock.
	Request RequestOptions
	Builder BuilderOptions
	// Check only compares each lock with its recipes and reports stale
	// ones (ErrStale): nothing is resolved, no builder is needed.
	Check bool
	// Only refreshes just these inputs (step ids such as mineru#4, or base
	// references) and keeps the rest of an existing lock as it is.
	Only []string
	// Err receives progress and messages.
	Err io.Writer
}

// LockResult is what locking one target did.
type LockResult struct {
	Target string
	// File is the lock file, relative to the working directory when below it.
	File string
	Lock *recipe.Lock
	// Changed says the file's bytes changed (or it is new).
	Changed bool
}

// ErrStale is wrapped when a lock no longer matches its recipes.
var ErrStale = errors.New("the lock is stale")

// Lock resolves every input of each target through BuildKit and writes its
// lock file beside the target's recipe. A Matrix is locked cell by cell,
// each cell's lock beside the matrix; a cell that fails does not stop the
// others.
func Lock(ctx context.Context, o LockOptions) ([]LockResult, error) {
	var results []LockResult
	var b *builder.Builder
	defer func() {
		if b != nil {
			_ = b.Close()
		}
	}()
	for _, t := range o.Targets {
		tg, err := ResolveTarget(o.Root, t)
		if err != nil {
			return results, err
		}
		cells := targetCells(tg)
		if cells == nil {
			r, err := lockTarget(ctx, o, &b, tg)
			if err != nil {
				return results, err
			}
			results = append(results, r)
			continue
		}
		locked, err := lockCells(ctx, o, &b, tg, cells)
		results = append(results, locked...)
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// lockTarget locks (or with Check, checks the lock of) one target,
// connecting the builder on first need.
func lockTarget(ctx context.Context, o LockOptions, b **builder.Builder, tg *Target) (LockResult, error) {
	pr, err := Prepare(tg.Set, tg.Name, plan.Options{Args: o.Request.Args})
	if err != nil {
		return LockResult{}, err
	}
	if o.Request.Platform != "" {
		pr.Plan.Platform = o.Request.Platform
	}
	site := lockSiteOf(tg)
	old, from, err := site.read()
	if err != nil {
		return LockResult{}, err
	}
	if o.Check {
		if err := checkLock(pr.Plan, old, from); err != nil {
			return LockResult{}, err
		}
		return LockResult{Target: tg.Name, File: RelPath(from), Lock: old}, nil
	}
	if *b == nil {
		if *b, err = o.Builder.connect(ctx, nil); err != nil {
			return LockResult{}, err
		}
	}
	fmt.Fprintf(o.Err, "locking %s: resolving its inputs in its own images\n", tg.Name)
	l, err := resolveLock(ctx, o, *b, pr)
	if err != nil {
		return LockResult{}, fmt.Errorf("locking %s: %w", tg.Name, err)
	}
	if old != nil && len(o.Only) > 0 {
		if err := keepUnlisted(l, old, o.Only); err != nil {
			return LockResult{}, err
		}
	}
	changed, err := writeLock(site.file, l)
	if err != nil {
		return LockResult{}, cannot("writing %s: %w", site.file, err)
	}
	return LockResult{Target: tg.Name, File: RelPath(site.file), Lock: l, Changed: changed}, nil
}

// readLock reads the lock at file; a missing file is no lock, a lock that
// does not validate is its recipe errors.
func readLock(file string) (*recipe.Lock, error) {
	l, err := recipe.LoadLock(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		var errs recipe.Errors
		if errors.As(err, &errs) {
			return nil, errs
		}
		return nil, cannot("%w", err)
	}
	return l, nil
}

// checkLock says whether the lock is current: made for this target and
// platform, from the recipe inputs the target has now.
func checkLock(p *plan.Plan, l *recipe.Lock, file string) error {
	if l == nil {
		return fmt.Errorf("%w: %s has no lock (%s); run macabox lock %s", ErrStale, p.Target, RelPath(file), p.Target)
	}
	if l.Target.Value != p.Target || l.Platform.Value != p.Platform {
		return fmt.Errorf("%w: %s:%d: the lock is for %s on %s, not %s on %s", ErrStale, RelPath(file), l.Target.Pos.Line, l.Target.Value, l.Platform.Value, p.Target, p.Platform)
	}
	if l.Inputs.Value == p.InputsDigest {
		return nil
	}
	return fmt.Errorf("%w: %s changed since it was locked: %s; run macabox lock --update %s", ErrStale, p.Target, changedInputs(p, l), p.Target)
}

// changedInputs names what differs between a plan and the lock it was not
// made from: the steps whose inputs changed, were added or removed, or, when
// no step did, the rest of the recipe (arguments, context files, metadata).
func changedInputs(p *plan.Plan, l *recipe.Lock) string {
	var changes []string
	seen := map[string]bool{}
	for _, s := range p.Steps {
		seen[s.ID] = true
		ls, ok := l.Step(s.ID)
		switch {
		case !ok:
			changes = append(changes, fmt.Sprintf("step %s (%s) is new", s.ID, s.Pos))
		case ls.Inputs.Value != s.Inputs || ls.Kind.Value != string(s.Kind):
			changes = append(changes, fmt.Sprintf("step %s (%s) changed", s.ID, s.Pos))
		}
	}
	for _, ls := range l.Steps {
		if !seen[ls.ID.Value] {
			changes = append(changes, fmt.Sprintf("step %s is gone", ls.ID.Value))
		}
	}
	if len(changes) == 0 {
		return "no step did, but the recipes' other inputs (arguments, copied files, descriptions) did"
	}
	return strings.Join(changes, "; ")
}

// resolveLock builds the target's lock probe and reads what each step
// resolved, and resolves every base image to its digest.
func resolveLock(ctx context.Context, o LockOptions, b *builder.Builder, pr *Prepared) (*recipe.Lock, error) {
	p := pr.Plan
	l := &recipe.Lock{
		Target: recipe.Str{Value: p.Target}, Platform: recipe.Str{Value: p.Platform},
		Inputs: recipe.Str{Value: p.InputsDigest},
	}
	for _, ref := range pr.Rendered.BaseRefs {
		lb, err := lockBase(ctx, b, ref, o.Request.Bases[ref], p.Platform)
		if err != nil {
			return nil, err
		}
		l.Bases = append(l.Bases, lb)
	}
	for _, a := range p.Args {
		if !a.Builtin {
			l.Args = append(l.Args, recipe.LockedArg{Name: recipe.Str{Value: a.Name}, Value: recipe.Str{Value: a.Value}})
		}
	}
	for _, u := range p.Unlocked {
		l.Unlocked = append(l.Unlocked, recipe.Unlocked{
			Step: recipe.Str{Value: u.Step}, Pos: recipe.Str{Value: u.Pos.String()}, Reason: recipe.Str{Value: u.Reason},
		})
	}
	dir, err := os.MkdirTemp("", "macabox-lock-")
	if err != nil {
		return nil, cannot("%w", err)
	}
	defer os.RemoveAll(dir)
	if err := probe(ctx, o, b, p, dir); err != nil {
		return nil, err
	}
	steps, err := p.LockSteps(dir)
	if err != nil {
		return nil, err
	}
	l.Steps = steps
	return l, nil
}

// lockBase records where a FROM image comes from: an OCI layout given with
// --base by its digest, anything else by the digest BuildKit resolves it to.
func lockBase(ctx context.Context, b *builder.Builder, ref string, given builder.NamedContext, platform string) (recipe.LockedBase, error) {
	lb := recipe.LockedBase{Ref: recipe.Str{Value: ref}}
	if given.OCILayout != "" {
		lb.Source, lb.Digest = recipe.Str{Value: "oci-layout"}, recipe.Str{Value: given.Digest}
		return lb, nil
	}
	pull := ref
	if given.Image != "" {
		pull = given.Image
	}
	d, err := b.ResolveImage(ctx, pull, platform)
	if err != nil {
		return lb, withBaseHint(err)
	}
	lb.Source, lb.Digest = recipe.Str{Value: "registry"}, recipe.Str{Value: d}
	return lb, nil
}

// probe builds the lock probe of p (every apt, dnf, pip and git step
// recording what it resolved) and exports the records into dir. The steps
// run afresh, never from a cache a previous build or lock left, which could
// hold what an index or mirror served then.
func probe(ctx context.Context, o LockOptions, b *builder.Builder, p *plan.Plan, dir string) error {
	r, err := plan.RenderLockProbe(p)
	if errors.Is(err, plan.ErrNothingToProbe) {
		return nil
	}
	if err != nil {
		return err
	}
	files, contents := r.ContextFiles()
	req := builder.Request{
		Name:       p.Target + " (lock)",
		Dockerfile: r.Dockerfile,
		Target:     plan.ProbeStage,
		Files:      files,
		Contents:   contents,
		Platform:   p.Platform,
		Contexts:   usedBases(r.BaseRefs, o.Request.Bases),
		Secrets:    o.Request.Secrets,
		LookupEnv:  o.Request.LookupEnv,
		Outputs:    []builder.Output{{Type: builder.OutputLocal, Dest: dir}},
		NoCache:    true,
		Origin:     lineOrigin(r),
	}
	if err := b.Check(req); err != nil {
		return markCannot(err)
	}
	_, err = buildAll(ctx, b, []builder.Request{req}, o.Request.Progress, o.Err)
	return err
}

// keepUnlisted keeps, from the old lock, every input not named in only and
// whose step did not change, so `lock --update --only X` refreshes X alone.
func keepUnlisted(l, old *recipe.Lock, only []string) error {
	known := map[string]bool{}
	for i, b := range l.Bases {
		known[b.Ref.Value] = true
		if ob, ok := old.Base(b.Ref.Value); ok && !slices.Contains(only, b.Ref.Value) && ob.Source.Value == b.Source.Value {
			l.Bases[i] = ob
		}
	}
	for i, s := range l.Steps {
		known[s.ID.Value] = true
		if os, ok := old.Step(s.ID.Value); ok && !slices.Contains(only, s.ID.Value) && os.Inputs.Value == s.Inputs.Value {
			l.Steps[i] = os
		}
	}
	for _, name := range only {
		if !known[name] {
			return cannot("--only %s: %s has no such input (a step id like %s, or a base image reference)", name, l.Target.Value, firstStepID(l))
		}
	}
	return nil
}

func firstStepID(l *recipe.Lock) string {
	if len(l.Steps) == 0 {
		return "recipe#1"
	}
	return l.Steps[0].ID.Value
}

// writeLock writes the lock when its bytes differ from what file holds, and
// reports whether they did; the file is replaced whole.
func writeLock(file string, l *recipe.Lock) (bool, error) {
	data, err := l.Encode()
	if err != nil {
		return false, err
	}
	if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	// The lock of a catalog target may be the first file of its folder in
	// the user's tree: replacefile makes the folder.
	return true, replacefile.Write(file, data, 0o644)
}

// LockStatus says whether target of set has a lock and whether it is
// current: made for this target from the recipe inputs it has now. A lock
// that does not validate is not current.
type LockStatus struct {
	File    string `json:"file"`
	Current bool   `json:"current"`
}

// LockStatusOf is the lock status of a Stack or Image of set; nil when it
// has no lock file.
func LockStatusOf(set *recipe.Set, target string) *LockStatus {
	doc, ok := set.Lookup(target)
	if !ok {
		return nil
	}
	site := siteOf(set, doc)
	l, from, err := site.read()
	if l == nil && err == nil {
		return nil
	}
	st := &LockStatus{File: RelPath(from)}
	if err != nil {
		return st
	}
	p, err := plan.New(set, target, plan.Options{})
	st.Current = err == nil && checkLock(p, l, from) == nil
	return st
}

// LockErrors reads the lock files of the images and stacks of set whose
// recipe file keep accepts and returns their problems, positioned, for
// validate. A nil keep accepts every file.
func LockErrors(set *recipe.Set, keep func(recipeFile string) bool) recipe.Errors {
	var errs recipe.Errors
	for _, d := range set.Docs {
		if d.Stack == nil && d.Image == nil {
			continue
		}
		if keep != nil && !keep(d.File) {
			continue
		}
		_, from, err := siteOf(set, d).read()
		var lerrs recipe.Errors
		switch {
		case errors.As(err, &lerrs):
			errs = append(errs, lerrs...)
		case err != nil:
			errs = append(errs, &recipe.Error{Pos: recipe.Pos{File: from, Line: 1, Col: 1}, Msg: err.Error()})
		}
	}
	return errs
}
