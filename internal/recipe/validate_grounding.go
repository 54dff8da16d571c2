package recipe

import (
	"fmt"
	"strings"
)

// ImageFacts are the fields of an Image that a document-level unverified
// entry may name besides its args: the values the image pins without a step.
var ImageFacts = []string{"from", "maca", "python", "torch"}

// grounding checks what a document says about the origin of its pinned
// values: the document's source is one line, every unverified entry names
// something the document writes and gives a reason, and so does every
// step's unverified mark.
func (v *validator) grounding(d *Document) {
	h := d.Header()
	if h == nil {
		return
	}
	v.literal(h.Source, "source", checkOneLine)
	var args Map
	var names []string
	var stages []Stage
	var steps []Step
	switch {
	case d.Image != nil:
		args, stages, steps = d.Image.Args, d.Image.Stages, d.Image.Steps
		names = append(names, ImageFacts...)
	case d.Layer != nil:
		args, stages, steps = d.Layer.Args, d.Layer.Stages, d.Layer.Steps
	case d.Stack != nil:
		args = d.Stack.Args
	case d.Matrix != nil:
		args = matrixNames(d.Matrix)
	}
	for _, kv := range args {
		names = append(names, kv.Key.Value)
	}
	for _, kv := range h.Unverified {
		switch {
		case len(names) == 0:
			v.errs.add(kv.Key.Pos, "unverified", "%s: this %s writes no args, so there is nothing to mark", quote(kv.Key.Value), strings.ToLower(string(d.Kind())))
		case !contains(names, kv.Key.Value):
			v.errs.add(kv.Key.Pos, "unverified", "%s is not %s this %s writes; it may name %s%s",
				quote(kv.Key.Value), whatUnverified(d), strings.ToLower(string(d.Kind())), joinOr(names), didYouMean(kv.Key.Value, names))
		}
		v.literal(kv.Value, kv.Key.Value, checkReason)
	}
	for _, s := range stages {
		v.stepMarks(s.Steps)
	}
	v.stepMarks(steps)
}

func (v *validator) stepMarks(steps []Step) {
	for _, st := range steps {
		v.literal(st.Unverified, "unverified", checkReason)
	}
}

func whatUnverified(d *Document) string {
	if d.Image != nil {
		return "an arg or a field (from, maca, python, torch) that"
	}
	return "an arg that"
}

// checkReason accepts one line that says something.
func checkReason(s string) error {
	if err := checkOneLine(s); err != nil {
		return err
	}
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("must say why the value is used although no source shows it")
	}
	return nil
}
