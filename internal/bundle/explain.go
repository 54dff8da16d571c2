package bundle

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/builder"
)

// maxFileChanges caps the files an explanation names; the count says how
// many there were in all.
const maxFileChanges = 50

// Explanation says why a rebuild's manifest digest differs from the one the
// bundle recorded: the first layer that differs, the Dockerfile line and
// recipe step behind it, and the files that differ in it; or, when every
// layer agrees, what in the image config differs.
type Explanation struct {
	Summary string `json:"summary"`
	// Layer is the index of the first differing layer, -1 when all layers
	// agree and the config differs.
	Layer int `json:"layer"`
	// Expected and Actual describe that layer on each side.
	Expected *LayerSide `json:"expected,omitempty"`
	Actual   *LayerSide `json:"actual,omitempty"`
	// Line and Instruction are the bundle Dockerfile's line that made the
	// layer, as rebuilt; Step the recipe step it belongs to.
	Line        int    `json:"line,omitempty"`
	Instruction string `json:"instruction,omitempty"`
	Step        *Step  `json:"step,omitempty"`
	// Files are the files that differ in the layer (at most 50), FileCount
	// how many differ in all.
	Files     []fileChange `json:"files,omitempty"`
	FileCount int          `json:"fileCount"`
	// Config lists what differs in the image config.
	Config []string `json:"config,omitempty"`
	Notes  []string `json:"notes,omitempty"`
}

// LayerSide is one side's view of a layer.
type LayerSide struct {
	Digest string `json:"digest"`
	DiffID string `json:"diffId"`
	Line   int    `json:"line,omitempty"`
	Base   bool   `json:"base,omitempty"`
}

// explain compares the rebuilt image with what the bundle recorded. b is
// the verified bundle (for the layer listings and the recorded config);
// dockerfile is the bundle's Dockerfile as rebuilt.
func explain(exp *Expected, b *Opened, rebuilt *builder.LayoutImage, dockerfile []byte) *Explanation {
	x := &Explanation{Layer: -1}
	origins := layerOrigins(rebuilt, dockerfile)
	got := rebuilt.Manifest.Layers
	n := max(len(exp.Layers), len(got))
	for i := 0; i < n; i++ {
		var want *Layer
		if i < len(exp.Layers) {
			want = &exp.Layers[i]
		}
		var side *LayerSide
		if i < len(got) {
			side = &LayerSide{Digest: got[i].Digest.String(), DiffID: rebuilt.Config.RootFS.DiffIDs[i].String()}
			if i < len(origins) {
				side.Line, side.Base = origins[i].Line, origins[i].Base
			}
		}
		if want != nil && side != nil && want.Digest == side.Digest {
			continue
		}
		x.Layer, x.Actual = i, side
		x.explainLayer(exp, want, side, b, rebuilt, i)
		return x
	}
	recorded, err := b.read(ConfigName, readLimit[ConfigName])
	if err != nil {
		x.Notes = append(x.Notes, err.Error())
	}
	x.explainConfig(recorded, rebuilt.ConfigRaw, exp, dockerfile)
	return x
}

func (x *Explanation) explainLayer(exp *Expected, want *Layer, side *LayerSide, b *Opened, rebuilt *builder.LayoutImage, i int) {
	got := rebuilt.Manifest.Layers
	if want != nil {
		x.Expected = &LayerSide{Digest: want.Digest, DiffID: want.DiffID, Line: want.Line, Base: want.Base}
	}
	switch {
	case want == nil:
		x.Summary = fmt.Sprintf("the rebuilt image has %d layers, the bundle recorded %d; layer %d is new", len(got), len(exp.Layers), i)
	case side == nil:
		x.Summary = fmt.Sprintf("the rebuilt image has %d layers, the bundle recorded %d; layer %d is missing", len(got), len(exp.Layers), i)
	case want.Base:
		x.Summary = fmt.Sprintf("layer %d belongs to the base image, which differs: the rebuild did not start from the recorded base", i)
		for _, base := range exp.Bases {
			x.Notes = append(x.Notes, fmt.Sprintf("recorded base %s = %s (%s)", base.Ref, base.Digest, base.Source))
		}
	case want.DiffID == side.DiffID:
		x.Summary = fmt.Sprintf("layer %d has the same content but was compressed differently (another BuildKit release or compression setting)", i)
	default:
		x.Summary = fmt.Sprintf("layer %d differs", i)
	}
	line := 0
	if side != nil {
		line = side.Line
	}
	if line == 0 && want != nil {
		line = want.Line
	}
	x.Line = line
	if step := exp.stepAt(line); step >= 0 {
		if s, ok := exp.step(step); ok {
			x.Step = &s
		}
	} else if want != nil && want.Step >= 0 {
		if s, ok := exp.step(want.Step); ok {
			x.Step = &s
		}
	}
	if x.Step != nil {
		x.Summary += fmt.Sprintf("; it comes from Dockerfile line %d, step %d (%s %s at %s)", line, x.Step.Index+1, x.Step.Recipe, x.Step.Kind, x.Step.Pos)
	} else if line > 0 {
		x.Summary += fmt.Sprintf("; it comes from Dockerfile line %d", line)
	}
	if want == nil || side == nil || want.Files == "" {
		return
	}
	wantEntries, err := b.listing(want.Files)
	if err != nil {
		x.Notes = append(x.Notes, err.Error())
		return
	}
	gotEntries, err := listBlob(rebuilt, i, nil, true)
	if err != nil {
		x.Notes = append(x.Notes, fmt.Sprintf("listing the rebuilt layer: %v", err))
		return
	}
	changes := diffListings(wantEntries, gotEntries)
	x.FileCount = len(changes)
	if len(changes) > maxFileChanges {
		changes = changes[:maxFileChanges]
	}
	x.Files = changes
	if x.FileCount > 0 {
		x.Summary += fmt.Sprintf("; %d file(s) differ", x.FileCount)
	}
}

// explainConfig names what differs in the config when every layer agrees:
// environment, labels, history (each history entry is one instruction).
func (x *Explanation) explainConfig(wantRaw, gotRaw []byte, exp *Expected, dockerfile []byte) {
	var want, got map[string]any
	if json.Unmarshal(wantRaw, &want) != nil || json.Unmarshal(gotRaw, &got) != nil {
		x.Summary = "every layer is the same; the image config differs (the recorded config could not be read)"
		return
	}
	x.Config = diffJSON("", want, got)
	if len(x.Config) > maxFileChanges {
		x.Config = append(x.Config[:maxFileChanges], fmt.Sprintf("… and %d more", len(x.Config)-maxFileChanges))
	}
	x.Summary = "every layer is the same; the image config differs"
	wh, _ := builder.DecodeImageConfig(wantRaw)
	gh, _ := builder.DecodeImageConfig(gotRaw)
	chain := finalChain(dockerfile)
	nbase := len(gh.History) - len(chain)
	for i := 0; i < max(len(wh.History), len(gh.History)); i++ {
		if i < len(wh.History) && i < len(gh.History) && reflect.DeepEqual(wh.History[i], gh.History[i]) {
			continue
		}
		if j := i - nbase; j >= 0 && j < len(chain) {
			x.Line, x.Instruction = chain[j].StartLine, chain[j].Keyword
			x.Summary += fmt.Sprintf(": history entry %d, from Dockerfile line %d (%s)", i, x.Line, x.Instruction)
			if s, ok := exp.step(exp.stepAt(x.Line)); ok {
				x.Step = &s
				x.Summary += fmt.Sprintf(", step %d (%s %s at %s)", s.Index+1, s.Recipe, s.Kind, s.Pos)
			}
		}
		break
	}
}

// diffJSON lists the paths at which two JSON values differ: objects and
// lists are descended, so a changed variable reads as config.Env[5] and a
// changed instruction as history[26].created_by.
func diffJSON(prefix string, want, got any) []string {
	if wl, ok := want.([]any); ok {
		if gl, ok := got.([]any); ok {
			var out []string
			for i := 0; i < max(len(wl), len(gl)); i++ {
				out = append(out, diffJSON(fmt.Sprintf("%s[%d]", prefix, i), at(wl, i), at(gl, i))...)
			}
			return out
		}
	}
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if !wok || !gok {
		if reflect.DeepEqual(want, got) {
			return nil
		}
		return []string{fmt.Sprintf("%s: recorded %s, rebuilt %s", strings.TrimPrefix(prefix, "."), compact(want), compact(got))}
	}
	keys := map[string]bool{}
	for k := range wm {
		keys[k] = true
	}
	for k := range gm {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	var out []string
	for _, k := range sorted {
		out = append(out, diffJSON(prefix+"."+k, wm[k], gm[k])...)
	}
	return out
}

func at(list []any, i int) any {
	if i < len(list) {
		return list[i]
	}
	return nil
}

func compact(v any) string {
	if v == nil {
		return "nothing"
	}
	data, _ := json.Marshal(v)
	s := string(data)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
