package bundle

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// WriteOptions is one bundle to write: a target as planned and rendered,
// the request that built it (its tags, epoch and bases), the build's result
// and the built image in an OCI layout.
type WriteOptions struct {
	Plan     *plan.Plan
	Rendered *plan.Rendered
	// Set is the recipe set the target comes from, for its about: blocks.
	Set *recipe.Set
	// Request built the image. It must be reproducible (Epoch set).
	Request builder.Request
	// EpochSource says where the epoch came from (flag, env, git, default).
	EpochSource string
	Result      *builder.Result
	// Layout is the OCI layout directory the image was exported to.
	Layout string
	// Lock is the content of the lock file a locked build was pinned with.
	Lock []byte
	// Out is a directory (new or empty) or a .tar.gz file.
	Out string
	// Macabox is the macabox making the bundle, recorded in expected.json.
	Macabox *Tool
	// Evidence is what the bundle carries besides the build.
	Evidence Evidence
}

// ExportResult says what was exported.
type ExportResult struct {
	Path     string
	Expected *Expected
	// Files counts the bundle's files, SHA256SUMS included.
	Files int
	// Warnings are things a reviewer will hit: tests smoke.sh cannot check,
	// bases not pinned by digest.
	Warnings []string
}

// Write writes the bundle of a built image.
func Write(o WriteOptions) (*ExportResult, error) {
	if o.Request.Epoch == nil {
		return nil, errors.New("a bundle needs a reproducible build: the request has no SOURCE_DATE_EPOCH")
	}
	if o.Out == "" {
		return nil, errors.New("no output: give -o DIR or -o FILE.tar.gz")
	}
	res := o.Result
	if res.ManifestDigest == "" {
		return nil, errors.New("the builder reported no manifest digest (Docker's embedded builder cannot make bundles)")
	}
	im, err := builder.OpenLayoutImage(o.Layout, res.ManifestDigest)
	if err != nil {
		return nil, err
	}
	in, err := gather(o, o.Request, res, im)
	if err != nil {
		return nil, err
	}
	in.Evidence = o.Evidence
	files, unchecked, err := in.files()
	if err != nil {
		return nil, err
	}
	warnings := in.Warnings
	for _, u := range unchecked {
		warnings = append(warnings, "smoke.sh cannot check "+u)
	}
	for _, b := range in.Expected.Bases {
		if b.Digest == "" {
			warnings = append(warnings, fmt.Sprintf("the base image %s is not pinned by digest: a rebuild may start from another image (pin it in the recipe: REF@sha256:...)", b.Ref))
		}
	}
	all, err := withSums(files)
	if err == nil {
		all, err = withStatement(all, in)
	}
	if err != nil {
		return nil, err
	}
	epoch := *o.Request.Epoch
	if IsTarball(o.Out) {
		err = writeTarballFile(o.Out, all, epoch)
	} else {
		err = writeDir(o.Out, all, epoch)
	}
	if err != nil {
		return nil, fmt.Errorf("writing the bundle: %w", err)
	}
	return &ExportResult{Path: o.Out, Expected: in.Expected, Files: len(all), Warnings: warnings}, nil
}

// gather reads everything the bundle is made of from the plan, the build
// result and the built image.
func gather(o WriteOptions, req builder.Request, res *builder.Result, im *builder.LayoutImage) (*contents, error) {
	p, r := o.Plan, o.Rendered
	e := &Expected{
		Schema: ExpectedSchema, Target: p.Target, Kind: string(p.Kind), Simulated: p.Simulated,
		MACA: MACA{Version: p.MACA.Version, Path: p.MACA.Path}, Python: p.Python,
		ManifestDigest: res.ManifestDigest, ConfigDigest: im.Manifest.Config.Digest.String(),
		MediaType: res.MediaType, Platform: im.Platform(), Tags: slices.Clone(req.Tags),
		BuildKit:        BuildKit{Version: res.BuildKitVersion, Client: builder.ClientVersion()},
		SourceDateEpoch: *req.Epoch, EpochSource: o.EpochSource, InputsDigest: p.InputsDigest,
		Bases: bases(r.BaseRefs, req.Contexts, res.BaseDigests), Secrets: secretIDs(p),
		Runtime:       Runtime{Privileged: p.Runtime.Privileged, ShmSize: p.Runtime.ShmSize},
		InventoryNote: inventoryNote, Macabox: o.Macabox,
	}
	if p.Simulated {
		e.SimulatedNote = simulatedNote
	}
	for _, a := range p.Args {
		e.Args = append(e.Args, Arg{Name: a.Name, Value: a.Value})
	}
	if p.Lock != nil {
		if o.Lock == nil {
			return nil, errors.New("the plan is locked but the lock file was not given")
		}
		e.Lock = &LockInfo{File: LockName, SHA256: sha256Hex(o.Lock), Inputs: p.Lock.Inputs, Current: p.Lock.Current}
	}
	for _, u := range p.UnlockedInputs() {
		e.Unlocked = append(e.Unlocked, UnlockedInput{Step: u.Step, Where: u.Pos.String(), Reason: u.Reason})
	}
	ctxData := map[string][]byte{}
	for _, c := range p.Context {
		data, err := c.Read()
		if err != nil {
			return nil, fmt.Errorf("context file %s: %w", c.Source, err)
		}
		if sha256Hex(data) != c.SHA256 {
			return nil, fmt.Errorf("context file %s changed since it was planned; export again", c.Source)
		}
		ctxData[c.Name] = data
		e.Context = append(e.Context, ContextFile{Name: c.Name, Mode: fmt.Sprintf("%04o", c.Mode), SHA256: c.SHA256})
	}
	e.Steps = steps(p, r)
	layers, listings, installed, warnings, err := describeLayers(im, r)
	if err != nil {
		return nil, err
	}
	e.Layers, e.Installed = layers, installed
	env := im.Config.Config.Env
	if len(req.Tags) == 0 {
		return nil, errors.New("the request names no image (no tag)")
	}
	tests := make([]smoke.Test, 0, len(p.Smoke))
	for _, t := range p.Smoke {
		tests = append(tests, t.Test)
	}
	return &contents{
		Plan: p, Rendered: r, About: AboutFrom(o.Set, p), Expected: e, Image: req.Tags[0], Lock: o.Lock,
		Tests: tests, Context: ctxData, Listings: listings,
		ConfigRaw: im.ConfigRaw, ImageEnv: env, Warnings: warnings,
	}, nil
}

// bases records how each FROM image was supplied. A registry image is
// recorded with the digest it was pinned to or BuildKit resolved, so a
// rebuild can pin it; an unpinned one is left without a digest (and warned
// about), never given a guessed one.
func bases(refs []string, contexts map[string]builder.NamedContext, resolved map[string]string) []Base {
	out := []Base{}
	for _, ref := range refs {
		b := Base{Ref: ref, Source: SourceRegistry}
		pull := ref
		if nc, ok := contexts[ref]; ok {
			switch {
			case nc.OCILayout != "":
				out = append(out, Base{Ref: ref, Source: SourceOCILayout, Digest: nc.Digest})
				continue
			case nc.Image != "":
				pull = nc.Image
				if trimDigest(nc.Image) != trimDigest(ref) {
					b.Image = trimDigest(nc.Image)
				}
			}
		}
		for _, r := range []string{pull, ref} {
			if _, d, ok := strings.Cut(r, "@"); ok && b.Digest == "" {
				b.Digest = d
			}
			for _, name := range []string{r, fullName(r)} {
				if d := resolved[name]; d != "" && b.Digest == "" {
					b.Digest = d
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// secretIDs lists the ids of the secrets the steps mount.
func secretIDs(p *plan.Plan) []string {
	var ids []string
	for _, s := range p.Steps {
		for _, id := range s.SecretIDs() {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// steps lists the plan's steps with the Dockerfile lines of their
// instruction (the line map gives a step its comment line too; that one is
// left out, since no layer comes from it).
func steps(p *plan.Plan, r *plan.Rendered) []Step {
	text := strings.Split(string(r.Dockerfile), "\n")
	out := make([]Step, 0, len(p.Steps))
	for _, s := range p.Steps {
		st := Step{Index: s.Index, Recipe: s.Recipe, Kind: string(s.Kind), Pos: s.Pos.String(), Source: s.Source}
		for _, l := range r.Lines {
			if l.Step != s.Index || l.Line > len(text) || strings.HasPrefix(strings.TrimSpace(text[l.Line-1]), "#") {
				continue
			}
			if st.FirstLine == 0 {
				st.FirstLine = l.Line
			}
			st.LastLine = l.Line
		}
		out = append(out, st)
	}
	return out
}

// describeLayers ties every layer to its instruction and step, lists the
// files of the layers the build made, and takes the package inventory from
// them. Base layers are not listed: a reviewer's base either has the
// recorded digest or is reported as the difference.
func describeLayers(im *builder.LayoutImage, r *plan.Rendered) (layers []Layer, listings map[string][]byte, installed []Package, warnings []string, err error) {
	origins := layerOrigins(im, r.Dockerfile)
	if len(origins) != len(im.Manifest.Layers) {
		return nil, nil, nil, nil, fmt.Errorf("the image's history names %d layers but it has %d", len(origins), len(im.Manifest.Layers))
	}
	listings = map[string][]byte{}
	inv := newInventory()
	layers = make([]Layer, 0, len(origins))
	width := len(fmt.Sprint(len(origins) - 1))
	for i, d := range im.Manifest.Layers {
		o := origins[i]
		l := Layer{
			Index: i, Digest: d.Digest.String(), DiffID: im.Config.RootFS.DiffIDs[i].String(), Size: d.Size, MediaType: d.MediaType,
			Base: o.Base, Line: o.Line, Instruction: o.Instruction, Step: -1,
		}
		if origin, ok := r.Origin(o.Line); ok {
			l.Step = origin.Step
		}
		if !o.Base {
			inv.step = l.Step
			entries, err := listBlob(im, i, inv, false)
			if err != nil {
				return nil, nil, nil, nil, fmt.Errorf("listing layer %d (%s): %w", i, d.Digest, err)
			}
			l.FileCount = len(entries)
			data, err := encodeListing(entries)
			switch {
			case errors.Is(err, errListingTooLarge):
				warnings = append(warnings, fmt.Sprintf("layer %d (%d files) is not listed in the bundle: %v; reproduce cannot name the files that differ in it", i, len(entries), err))
			case err != nil:
				return nil, nil, nil, nil, err
			default:
				l.Files = fmt.Sprintf("%s/%0*d.files.tsv.gz", layersDir, width, i)
				listings[l.Files] = data
			}
		}
		layers = append(layers, l)
	}
	return layers, listings, inv.packages(), warnings, nil
}

// listBlob lists one layer, feeding the inventory when one is given;
// capped keeps to the listing limits.
func listBlob(im *builder.LayoutImage, i int, inv *inventory, capped bool) ([]fileEntry, error) {
	rc, err := im.OpenLayer(i)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var wants func(string) bool
	var add func(string, []byte)
	if inv != nil {
		wants, add = inv.wants, inv.add
	}
	entries, err := listLayer(rc, im.Manifest.Layers[i].MediaType, capped, wants, add)
	if err != nil {
		return nil, err
	}
	if inv != nil {
		for _, e := range entries {
			inv.whiteout(e.Path)
		}
	}
	return entries, nil
}
