package catalog_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden Dockerfiles")

const root = "../.."

func loadCatalog(t *testing.T) *recipe.Set {
	t.Helper()
	set, err := recipe.LoadTree(root)
	if err != nil {
		t.Fatalf("loading the recipes:\n%v", err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatalf("the project's recipes are invalid:\n%v", errs)
	}
	return set
}

// targets are every buildable document: stacks and images.
func targets(set *recipe.Set) []string {
	var names []string
	for _, d := range append(set.Images(), set.Stacks()...) {
		names = append(names, d.Name())
	}
	return names
}

func TestEveryTargetRendersItsGoldenDockerfile(t *testing.T) {
	set := loadCatalog(t)
	names := targets(set)
	if len(names) < 8 {
		t.Fatalf("only %d targets found: %v", len(names), names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			pr, err := pipeline.Prepare(set, name, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".Dockerfile")
			if *update {
				if err := os.WriteFile(golden, pr.Rendered.Dockerfile, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run: go test ./internal/catalog -update)", err)
			}
			if !bytes.Equal(pr.Rendered.Dockerfile, want) {
				t.Errorf("%s no longer renders as %s; if the change is intended run: go test ./internal/catalog -update", name, golden)
			}
			again, err := pipeline.Prepare(set, name, plan.Options{})
			if err != nil || !bytes.Equal(again.Rendered.Dockerfile, pr.Rendered.Dockerfile) {
				t.Errorf("rendering %s twice gave different bytes", name)
			}
		})
	}
}

// TestBuildKitDockerfileChecks sends every rendered Dockerfile through the
// dockerfile frontend's lint request on the pinned buildkitd. The registries
// the real recipes name cannot be reached here, so each FROM image is
// supplied by a local stand-in: MetaX's MACA images by the simulated MACA
// base (which, like them, sets the MACA environment such as LD_LIBRARY_PATH),
// every other image by the Debian fixture. The checks look at the Dockerfile
// and the base's environment, not at what the base contains.
func TestBuildKitDockerfileChecks(t *testing.T) {
	env := testenv.Require(t)
	set := loadCatalog(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b, err := builder.Connect(ctx, env.BuildkitHost, builder.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	debian := builder.NamedContext{OCILayout: env.OCIStore, Digest: env.DebianDigest}
	macaSim := builder.NamedContext{OCILayout: env.OCIStore, Digest: env.MacaSimDigest}
	for _, name := range targets(set) {
		t.Run(name, func(t *testing.T) {
			pr, err := pipeline.Prepare(set, name, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			bases := map[string]builder.NamedContext{}
			for _, ref := range pr.Rendered.BaseRefs {
				bases[ref] = debian
				if strings.HasPrefix(ref, "cr.metax-tech.com/") {
					bases[ref] = macaSim
				}
			}
			warnings, err := b.Lint(ctx, pr.Request(pipeline.RequestOptions{Bases: bases}))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range warnings {
				t.Errorf("%s", w)
			}
		})
	}
}

// TestLintFindsProblems keeps the check above honest: a Dockerfile with known
// faults must produce findings that point at the right lines.
func TestLintFindsProblems(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := builder.Connect(ctx, env.BuildkitHost, builder.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	df := "FROM macabox.test/debian:bookworm as base\nENV A 1\nFROM base\nMAINTAINER someone\n"
	warnings, err := b.Lint(ctx, builder.Request{
		Dockerfile: []byte(df),
		Contexts:   map[string]builder.NamedContext{"macabox.test/debian:bookworm": {OCILayout: env.OCIStore, Digest: env.DebianDigest}},
		Origin:     func(line int) (string, bool) { return fmt.Sprintf("recipe.yaml:%d", line), true },
	})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]int{}
	for _, w := range warnings {
		rules[w.Rule] = w.Line
	}
	for rule, line := range map[string]int{"FromAsCasing": 1, "LegacyKeyValueFormat": 2, "MaintainerDeprecated": 4} {
		if rules[rule] != line {
			t.Errorf("rule %s at line %d, want line %d (all: %v)", rule, rules[rule], line, warnings)
		}
	}
	if len(warnings) > 0 && warnings[0].Origin == "" {
		t.Errorf("warnings carry no recipe origin: %v", warnings)
	}
}
