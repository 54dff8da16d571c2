package plan

import (
	"fmt"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// bombArgs are args that double at each level, A1: "${A0}${A0}" up to
// A<levels>.
func bombArgs(a0 string, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "args:\n  A0: %s\n", a0)
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  A%d: \"${A%d}${A%d}\"\n", i, i-1, i-1)
	}
	return b.String()
}

// bombTree writes a layer "bomb" made of body (its args and steps) and a
// stack of it; the recipes must validate.
func bombTree(t *testing.T, body string) *recipe.Set {
	t.Helper()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "recipes", "bomb", "bomb.yaml"), "apiVersion: macabox/v1\nkind: Layer\nname: bomb\n"+body+
		"---\napiVersion: macabox/v1\nkind: Stack\nname: bomb-stack\nbase: base\nlayers: [bomb]\n")
	writeFile(t, filepath.Join(root, "images", "base.yaml"), "apiVersion: macabox/v1\nkind: Image\nname: base\nfrom: docker.io/library/debian:bookworm\n")
	set, err := recipe.LoadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatalf("the bomb does not validate:\n%v", errs)
	}
	return set
}

// planBounded plans and renders target and fails the test when that takes
// more than a few seconds or allocates more than maxAlloc: the limits must
// stop an expansion while it grows, not after.
func planBounded(t *testing.T, set *recipe.Set, target string, opts Options, maxAlloc uint64) error {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	p, err := New(set, target, opts)
	if err == nil {
		_, err = Render(p)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxAlloc {
		t.Errorf("planning allocated %d MiB", alloc>>20)
	}
	if took > 5*time.Second {
		t.Errorf("planning took %v", took)
	}
	return err
}

func TestArgumentExpansionIsBounded(t *testing.T) {
	set := bombTree(t, bombArgs("abcdefghijkl", 24)+"steps:\n  - run: echo \"$A24\"\n")
	err := planBounded(t, set, "bomb-stack", Options{}, 16<<20)
	// 12 bytes doubled 12 times is 48 KiB: A12 is the first too long.
	wantErr(t, err, `recipes/bomb/bomb.yaml:17:8: field "A12": the value would be longer than 32768 bytes`,
		"through ${A11} → ${A10} → ${A9} → ${A8} → ${A7} → ${A6} → … → ${A0}")
	if n := strings.Count(err.Error(), "\n"); n != 0 {
		t.Errorf("one cause, %d more problems reported:\n%v", n, err)
	}

	// A value from the command line is refused as it comes in.
	_, err = New(set, "bomb-stack", Options{Args: map[string]string{"A0": strings.Repeat("x", maxValueLen+1)}})
	wantErr(t, err, "--set A0: the value is 32769 bytes; a value is limited to 32768")
}

func TestFieldExpansionIsBounded(t *testing.T) {
	// A field grown too long is refused at the field: here an env value
	// made of three 24 KiB arguments.
	set := bombTree(t, bombArgs("abcdefghijkl", 11)+"steps:\n  - env: {E: \"${A11}${A11}${A11}\"}\n")
	err := planBounded(t, set, "bomb-stack", Options{}, 16<<20)
	wantErr(t, err, `recipes/bomb/bomb.yaml:`, `field "env": the value would be longer than 32768 bytes (32 KiB), through ${A11} → ${A10}`)

	// Each field stays below the limit of one value, but 600 of them of
	// 30000 bytes pass the limit of a whole plan.
	pkgs := strings.Repeat(`, "${W}"`, 600)[2:]
	set = bombTree(t, "args: {W: "+strings.Repeat("w", 30000)+"}\nsteps:\n  - apt: ["+pkgs+"]\n")
	err = planBounded(t, set, "bomb-stack", Options{}, 64<<20)
	wantErr(t, err, `recipes/bomb/bomb.yaml:6:`, `field "packages": the target's values expand to more than 16777216 bytes (16 MiB) in all`)
}

func TestDockerfileSizeIsBounded(t *testing.T) {
	root := t.TempDir()
	m := &mem{file: filepath.Join(root, "recipes", "big", "big.yaml")}
	layer := &recipe.Layer{Header: m.header(recipe.KindLayer, "big")}
	script := "echo " + strings.Repeat("x", 60000)
	for range 300 {
		layer.Steps = append(layer.Steps, recipe.Step{Pos: m.pos(), Run: &recipe.RunStep{Script: m.s(script)}})
	}
	// The recipes alone hold 18 MB here; rendering may cost a few times
	// that, but not more.
	err := planBounded(t, memSet(root, layer, nil), "test", Options{}, 256<<20)
	wantErr(t, err, "recipes/big/big.yaml:", "the Dockerfile would be larger than 16777216 bytes (16 MiB)")
}
