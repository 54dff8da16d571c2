package catalog_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
	"github.com/ccf-ai-infra/macabox/internal/smoke/runner"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// offlineParts says, per real layer, which of its steps and smoke tests run
// without MetaX's registry, PyPI or GitHub, so they can be built here. A step
// is chosen by a piece of its `source` citation or run script; a test by name.
var offlineParts = map[string]struct {
	steps []string
	tests []string
}{
	"mineru": {
		steps: []string{"macabox (own helpers", "relabel_torchvision.py", "macabox (sample input", "-e MINERU_LMDEPLOY_DEVICE=maca"},
		tests: []string{"sample PDF present", "models are local", "MACA switch for MinerU is set"},
	},
	"mineru3": {
		steps: []string{"macabox (own helpers", "relabel_torchvision.py", "macabox (sample input", "-e MINERU_LMDEPLOY_DEVICE=maca"},
		tests: []string{"sample PDF present", "models are local", "MACA switch for MinerU is set"},
	},
	"vllm-metax": {
		steps: []string{"macabox smoke tests after"},
		tests: []string{"smoke-test scripts present", "vendor torch kept"},
	},
	"vllm-metax-mcoplib": {
		steps: []string{"macabox smoke tests after"},
		tests: []string{"smoke-test scripts present"},
	},
}

// TestOfflinePartsOnTheSimulatedBase builds the offline steps of the real
// layers, exactly as the recipes write them (same files, same scripts), on the
// simulated MACA base, and runs the smoke tests that check them.
func TestOfflinePartsOnTheSimulatedBase(t *testing.T) {
	env := testenv.RequireDocker(t)
	set := loadCatalog(t)
	sim, ok := set.Lookup("maca-sim")
	if !ok {
		t.Fatal("images/maca-sim.yaml is missing")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cli, err := docker.Connect(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	b, err := builder.Connect(ctx, env.BuildkitHost, builder.ConnectOptions{
		Docker: func() (*docker.Client, error) { return cli, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for layer, parts := range offlineParts {
		t.Run(layer, func(t *testing.T) {
			doc, ok := set.Lookup(layer)
			if !ok || doc.Layer == nil {
				t.Fatalf("no layer %q", layer)
			}
			part := offlineLayer(t, doc, parts.steps, parts.tests)
			stack := &recipe.Document{File: doc.File, Pos: doc.Pos, Stack: &recipe.Stack{
				Header: recipe.Header{APIVersion: str(recipe.APIVersion), Kind: str(string(recipe.KindStack)), Name: str(layer + "-offline-sim")},
				Base:   str(sim.Name()),
				Layers: []recipe.Str{str(layer)},
			}}
			sub := &recipe.Set{Root: set.Root, Docs: []*recipe.Document{sim, part, stack}}
			pr, err := pipeline.Prepare(sub, stack.Name(), plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tag := "macabox.local/" + stack.Name() + ":test"
			epoch := int64(1735689600)
			req := pr.Request(pipeline.RequestOptions{
				Bases: map[string]builder.NamedContext{env.MacaSimRef: {OCILayout: env.OCIStore, Digest: env.MacaSimDigest}},
			})
			req.Epoch, req.Tags = &epoch, []string{tag}
			req.Outputs = []builder.Output{{Type: builder.OutputLoad}}
			if _, err := b.Build(ctx, req); err != nil {
				t.Fatalf("building the offline steps of %s:\n%v", layer, err)
			}
			t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
			var tests []smoke.Test
			for _, st := range pr.Plan.Smoke {
				tests = append(tests, st.Test)
			}
			rep, err := runner.Run(ctx, runner.Options{Docker: cli, Target: stack.Name(), Image: tag, Tests: tests, NoDeviceReason: "no device in this test"})
			if err != nil {
				t.Fatal(err)
			}
			sum := rep.Summary()
			if !rep.OK() || sum.Passed < len(parts.tests) {
				var b strings.Builder
				_ = smoke.WriteMarkdown(&b, rep)
				t.Fatalf("smoke tests of the offline %s steps:\n%s", layer, b.String())
			}
		})
	}
}

// offlineLayer is a copy of doc's layer with only the chosen steps and tests,
// without requirements on the base (the simulation is Debian, not the Ubuntu
// of MetaX's images) and without helper stages (the chosen steps copy from
// none; planning says so if that changes).
func offlineLayer(t *testing.T, doc *recipe.Document, steps, tests []string) *recipe.Document {
	t.Helper()
	l := *doc.Layer
	l.Requires, l.Stages, l.Steps, l.Smoke = nil, nil, nil, nil
	for _, s := range doc.Layer.Steps {
		text := s.Source.Value
		if s.Run != nil {
			text += "\n" + s.Run.Script.Value
		}
		for _, want := range steps {
			if strings.Contains(text, want) {
				l.Steps = append(l.Steps, s)
				break
			}
		}
	}
	for _, tc := range doc.Layer.Smoke {
		for _, want := range tests {
			if tc.Name.Value == want {
				l.Smoke = append(l.Smoke, tc)
			}
		}
	}
	if len(l.Steps) != len(steps) || len(l.Smoke) != len(tests) {
		t.Fatalf("layer %s: found %d of %d offline steps and %d of %d tests; update offlineParts to match the recipe",
			doc.Name(), len(l.Steps), len(steps), len(l.Smoke), len(tests))
	}
	c := *doc
	c.Layer = &l
	return &c
}

func str(s string) recipe.Str { return recipe.Str{Value: s} }
