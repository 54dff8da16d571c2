package plan

import (
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// smokeCompare is a test's compare block as the runners take it, its file
// with the arguments substituted (as a file test's is). A field's unset
// limits stay unset, so that they follow the compare's.
func (r *resolver) smokeCompare(c *recipe.Compare) *smoke.Compare {
	if c == nil {
		return nil
	}
	out := &smoke.Compare{Mode: c.Mode.Value, Abs: c.Abs.Value, Rel: c.Rel.Value, Threshold: c.Threshold.Value}
	out.File, _ = r.checked(c.File, "file", recipe.CheckAbsPath)
	for _, f := range c.Fields {
		out.Fields = append(out.Fields, smoke.CompareField{
			Path: f.Path.Value, Mode: f.Mode.Value,
			Abs: floatOrNil(f.Abs), Rel: floatOrNil(f.Rel), Threshold: floatOrNil(f.Threshold),
		})
	}
	return out
}

func floatOrNil(f recipe.Float) *float64 {
	if f.Pos.IsZero() {
		return nil
	}
	v := f.Value
	return &v
}

// smokeBench is a test's bench block with its defaults filled in.
func smokeBench(b *recipe.Bench) *smoke.Bench {
	if b == nil {
		return nil
	}
	out := &smoke.Bench{Warmup: smoke.DefaultWarmup, Repeat: smoke.DefaultRepeat}
	if !b.Warmup.Pos.IsZero() {
		out.Warmup = b.Warmup.Value
	}
	if !b.Repeat.Pos.IsZero() {
		out.Repeat = b.Repeat.Value
	}
	for _, m := range b.Metrics {
		out.Metrics = append(out.Metrics, smoke.Metric{
			Name: m.Name.Value, Unit: m.Unit.Value, Regex: m.Regex.Value, JSON: m.JSON.Value,
			Wall: m.Wall.Value, Better: m.Better.Value,
		})
	}
	return out
}
