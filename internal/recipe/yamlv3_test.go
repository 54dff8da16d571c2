package recipe

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestYAMLv3Assumptions pins down what the loader relies on yaml.v3 for, and
// what it must do itself; a yaml.v3 upgrade that changes these shows up here.
func TestYAMLv3Assumptions(t *testing.T) {
	t.Run("node decoding keeps duplicate keys", func(t *testing.T) {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte("a: 1\na: 2\n"), &n); err != nil {
			t.Fatalf("yaml.v3 now rejects duplicates itself (%v); the loader's own check may go", err)
		}
	})
	t.Run("node decoding does not expand aliases", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
		for i := 1; i < 40; i++ {
			p := "*a" + strconv.Itoa(i-1)
			b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [" + strings.Repeat(p+", ", 9) + p + "]\n")
		}
		start := time.Now()
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(b.String()), &n); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("parsing took %v", d)
		}
		// The tree holds alias nodes pointing at their anchors: a walker that
		// followed them would expand 10^40 values, so checkTree refuses them.
		last := n.Content[0].Content[len(n.Content[0].Content)-1]
		if last.Content[0].Kind != yaml.AliasNode {
			t.Fatalf("alias decoded as kind %v", last.Content[0].Kind)
		}
	})
	t.Run("decoding into values has its own alias limit", func(t *testing.T) {
		src := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		// Informative only: the loader never decodes into values.
		var v any
		err := yaml.Unmarshal([]byte(src), &v)
		t.Logf("yaml.v3 decoding 9^7 aliased values into any: %v", err)
	})
}
