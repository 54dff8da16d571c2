package plan

import (
	"strconv"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Labels macabox puts on every image, so that `macabox test IMAGE` and a
// reviewer can tell what an image was built from. Never a time: the image
// must come out the same on every rebuild.
const (
	LabelPrefix       = "io.github.ccf-ai-infra.macabox."
	LabelTarget       = LabelPrefix + "target"
	LabelKind         = LabelPrefix + "kind"
	LabelLayers       = LabelPrefix + "layers"
	LabelMACAVersion  = LabelPrefix + "maca.version"
	LabelSimulated    = LabelPrefix + "simulated"
	LabelInputsDigest = LabelPrefix + "inputs.digest"

	labelTitle       = "org.opencontainers.image.title"
	labelDescription = "org.opencontainers.image.description"
	labelBaseName    = "org.opencontainers.image.base.name"
)

// resolveLabels merges the images' labels with the ones macabox sets. A
// recipe may override the OCI title and description but not macabox's own.
func (r *resolver) resolveLabels() {
	labels := map[string]string{
		labelTitle:        r.plan.Target,
		labelBaseName:     r.plan.BaseRef,
		LabelTarget:       r.plan.Target,
		LabelKind:         string(r.plan.Kind),
		LabelSimulated:    strconv.FormatBool(r.plan.Simulated),
		LabelInputsDigest: r.plan.InputsDigest,
	}
	if d := oneLine(r.targetDescription()); d != "" {
		labels[labelDescription] = d
	}
	if len(r.plan.Layers) > 0 {
		labels[LabelLayers] = strings.Join(r.plan.Layers, ",")
	}
	if r.plan.MACA.Version != "" {
		labels[LabelMACAVersion] = r.plan.MACA.Version
	}
	for _, u := range r.units {
		if u.doc.Image == nil {
			continue
		}
		for _, kv := range u.doc.Image.Labels {
			if strings.HasPrefix(kv.Key.Value, LabelPrefix) {
				r.fail(kv.Key.Pos, "labels", "labels under %s are set by macabox", LabelPrefix)
				continue
			}
			if why := checkLine(kv.Key.Value); why != "" || kv.Key.Value == "" {
				r.fail(kv.Key.Pos, "labels", "a label key must be one non-empty line")
				continue
			}
			v, _ := r.checked(kv.Value, "labels", recipe.CheckFreeValue)
			labels[kv.Key.Value] = v
		}
	}
	keys := sortedKeys(labels)
	r.plan.Labels = make([]Label, 0, len(keys))
	for _, k := range keys {
		r.plan.Labels = append(r.plan.Labels, Label{Key: k, Value: labels[k]})
	}
}

func (r *resolver) targetDescription() string {
	if r.stack != nil {
		return r.stack.doc.Header().Description.Value
	}
	return r.units[len(r.units)-1].doc.Header().Description.Value
}
