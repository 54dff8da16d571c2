package plan

import (
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

func TestSmokeBenchDefaults(t *testing.T) {
	at := recipe.Pos{File: "r.yaml", Line: 1, Col: 1}
	b := smokeBench(&recipe.Bench{Metrics: []recipe.Metric{{Name: recipe.Str{Value: "t"}, Wall: recipe.Bool{Value: true, Pos: at}}}})
	if b.Warmup != 1 || b.Repeat != 5 || !b.Metrics[0].Wall {
		t.Errorf("defaults: %+v", b)
	}
	b = smokeBench(&recipe.Bench{Warmup: recipe.Int{Value: 0, Pos: at}, Repeat: recipe.Int{Value: 2, Pos: at}})
	if b.Warmup != 0 || b.Repeat != 2 {
		t.Errorf("warmup: 0 written is kept: %+v", b)
	}
}

func TestSmokeCompareKeepsUnsetFieldLimitsUnset(t *testing.T) {
	at := recipe.Pos{File: "r.yaml", Line: 1, Col: 1}
	c := (&resolver{}).smokeCompare(&recipe.Compare{
		Mode: recipe.Str{Value: "numeric", Pos: at}, Abs: recipe.Float{Value: 0.1, Pos: at},
		Fields: []recipe.CompareField{{Path: recipe.Str{Value: "a"}}, {Path: recipe.Str{Value: "b"}, Abs: recipe.Float{Value: 0, Pos: at}}},
	})
	if c.Fields[0].Abs != nil || c.Fields[1].Abs == nil || *c.Fields[1].Abs != 0 {
		t.Errorf("%+v", c.Fields)
	}
	spec, err := c.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Fields[0].Rule.Abs != 0.1 || spec.Fields[1].Rule.Abs != 0 {
		t.Errorf("field a follows the compare's abs, field b sets its own 0: %+v", spec.Fields)
	}
}
