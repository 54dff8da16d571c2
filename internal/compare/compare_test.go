package compare

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func mustPath(t *testing.T, s string) Path {
	t.Helper()
	p, err := ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPaths(t *testing.T) {
	doc, err := ParseJSON(`{"results": [{"loss": 0.25, "text": "hi"}], "a.b": {"c": true}}`)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"$.results[0].loss": "0.25",
		"results[0].text":   "hi",
		`$["a.b"].c`:        "true",
		`["a.b"]["c"]`:      "true",
		"$":                 `{"a.b":{"c":true},"results":[{"loss":0.25,"text":"hi"}]}`,
	} {
		v, err := mustPath(t, path).Lookup(doc)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got := render(v); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	for path, want := range map[string]string{
		"$.results[1]":         "$.results has 1 element(s), no index 1",
		"$.missing":            `$ has no key "missing"`,
		"$.results.loss":       `$.results is an array, not an object with key "loss"`,
		"$.results[0].loss[0]": "$.results[0].loss is a number, not an array",
	} {
		_, err := mustPath(t, path).Lookup(doc)
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", path, err, want)
		}
	}
	for _, bad := range []string{"$.", "$x", "a[", "a[-1]", "a[x]", `a["b"`, "a..b"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestExactText(t *testing.T) {
	o, _ := Compare(Spec{Rule: Rule{Mode: Exact}}, "a\nb\n", "a\r\nb")
	if !o.OK {
		t.Errorf("line ends and the last newline count: %s", o.Summary)
	}
	o, _ = Compare(Spec{Rule: Rule{Mode: Exact}}, "a\nb\nc", "a\nB\nc")
	if o.OK || o.Summary != `line 2 differs: reference "b", got "B"` {
		t.Errorf("got %v %q", o.OK, o.Summary)
	}
	o, _ = Compare(Spec{Rule: Rule{Mode: Exact}}, "a", "a\nmore")
	if o.OK || !strings.Contains(o.Summary, `line 2 differs: reference (no such line), got "more"`) {
		t.Errorf("got %v %q", o.OK, o.Summary)
	}
}

func TestNumericText(t *testing.T) {
	rule := Rule{Mode: Numeric, Abs: 0.001}
	o, _ := Compare(Spec{Rule: rule}, "loss 0.1234\nsteps 10", "loss 0.1240\nsteps 10")
	if !o.OK || !strings.Contains(o.Summary, "2 numbers within tolerance") {
		t.Errorf("within: %v %q", o.OK, o.Summary)
	}
	o, _ = Compare(Spec{Rule: rule}, "loss 0.1234\nacc 0.5 0.75", "loss 0.1234\nacc 0.5 0.7")
	if o.OK || o.Summary != "line 2, number 2: reference 0.75, got 0.7: |Δ| 0.05 > allowed 0.001" {
		t.Errorf("outside: %v %q", o.OK, o.Summary)
	}
	o, _ = Compare(Spec{Rule: rule}, "loss 0.1", "los 0.1")
	if o.OK || !strings.Contains(o.Summary, "the text around the numbers differs") {
		t.Errorf("text: %v %q", o.OK, o.Summary)
	}
	// Relative tolerance scales with the reference.
	o, _ = Compare(Spec{Rule: Rule{Mode: Numeric, Rel: 0.01}}, "1000", "1009")
	if !o.OK {
		t.Errorf("1%% of 1000 covers 9: %q", o.Summary)
	}
	o, _ = Compare(Spec{Rule: Rule{Mode: Numeric, Rel: 0.01}}, "1000", "1011")
	if o.OK {
		t.Error("1% of 1000 does not cover 11")
	}
}

func TestSimilarity(t *testing.T) {
	if r, _ := Ratio("", ""); r != 1 {
		t.Errorf("two empty texts: %v", r)
	}
	if r, _ := Ratio("kitten", "sitting"); r != 1-3.0/7 {
		t.Errorf("kitten/sitting: %v", r)
	}
	if r, _ := Ratio("汉字识别", "汉字识别"); r != 1 {
		t.Errorf("runes: %v", r)
	}
	rule := Rule{Mode: Similarity, Threshold: 0.9}
	ref := "The quick brown fox jumps over the lazy dog."
	o, _ := Compare(Spec{Rule: rule}, ref, "The quick brown fox jumped over the lazy dog.")
	if !o.OK || o.Fields[0].Similarity == nil || !strings.HasPrefix(o.Summary, "similarity 0.9") {
		t.Errorf("close text: %v %q", o.OK, o.Summary)
	}
	o, _ = Compare(Spec{Rule: rule}, ref, "A slow red fox walks past a sleeping cat.")
	if o.OK || !strings.Contains(o.Summary, "below threshold 0.900") {
		t.Errorf("other text: %v %q", o.OK, o.Summary)
	}
	long := strings.Repeat("x", 30000)
	if _, err := Ratio(long, long); err == nil {
		t.Error("a ratio over 9e8 cells was computed")
	}
}

func TestFields(t *testing.T) {
	spec := Spec{Fields: []Field{
		{Path: mustPath(t, "loss"), Rule: Rule{Mode: Numeric, Abs: 0.01}},
		{Path: mustPath(t, "answer"), Rule: Rule{Mode: Similarity, Threshold: 0.8}},
		{Path: mustPath(t, "label"), Rule: Rule{Mode: Exact}},
	}}
	ref := `{"loss": 0.50, "answer": "Paris is the capital of France.", "label": {"b": 1, "a": 2}}`
	o, err := Compare(spec, ref, `{"label": {"a": 2, "b": 1}, "loss": "0.505", "answer": "Paris is the capital of France"}`)
	if err != nil || !o.OK || o.Summary != "3 fields match the reference" {
		t.Fatalf("%v %v %q", err, o.OK, o.Summary)
	}
	o, _ = Compare(spec, ref, `{"label": {"a": 2, "b": 1}, "loss": 0.53, "answer": "Paris is the capital of France."}`)
	if o.OK || o.Summary != "field loss: reference 0.50, got 0.53: |Δ| 0.03 > allowed 0.01" {
		t.Errorf("%q", o.Summary)
	}
	o, _ = Compare(spec, ref, `{"loss": 0.5}`)
	if o.OK || !strings.Contains(o.Summary, `missing: $ has no key "answer"`) {
		t.Errorf("%q", o.Summary)
	}
	o, _ = Compare(spec, ref, `not json`)
	if o.OK || !strings.Contains(o.Summary, "the output is not JSON") {
		t.Errorf("%q", o.Summary)
	}
	if _, err := Compare(spec, `{"loss": 1}`, ref); !errors.Is(err, ErrReference) {
		t.Errorf("a reference without the field: %v", err)
	}
	if _, err := Compare(spec, `nope`, ref); !errors.Is(err, ErrReference) {
		t.Errorf("a reference that is not JSON: %v", err)
	}
}

func TestRuleCheck(t *testing.T) {
	if err := (Rule{Mode: "fuzzy"}).Check(); err == nil || !strings.Contains(err.Error(), `unknown compare mode "fuzzy"`) {
		t.Errorf("%v", err)
	}
	if err := (Rule{Mode: Numeric, Abs: -1}).Check(); err == nil {
		t.Error("a negative tolerance passed")
	}
	if err := (Rule{Mode: Similarity, Threshold: 1.5}).Check(); err == nil {
		t.Error("a threshold above 1 passed")
	}
}

func TestStats(t *testing.T) {
	s := Summarize([]float64{12, 10, 11, 30, 10})
	if s.N != 5 || s.Median != 11 || s.P95 != 30 || s.Min != 10 || s.Max != 30 || s.Spread != 20.0/11 {
		t.Errorf("%+v", s)
	}
	s = Summarize([]float64{1, 2, 3, 4})
	if s.Median != 2.5 || s.P95 != 4 {
		t.Errorf("%+v", s)
	}
	var twenty []float64
	for i := 1; i <= 20; i++ {
		twenty = append(twenty, float64(i))
	}
	if s := Summarize(twenty); s.P95 != 19 {
		t.Errorf("p95 of 1..20 = %v, want 19 (nearest rank)", s.P95)
	}
	if r, ok := MedianRatio(Stats{N: 1, Median: 50}, Stats{N: 1, Median: 100}); !ok || r != 0.5 {
		t.Errorf("ratio %v %v", r, ok)
	}
	if _, ok := MedianRatio(Stats{N: 1, Median: 50}, Stats{N: 1}); ok {
		t.Error("a ratio to a zero median")
	}
}

// BenchmarkRatio times the similarity ratio of two texts of n characters
// that differ in about one character of ten: what an OCR page costs.
func BenchmarkRatio(b *testing.B) {
	for _, n := range []int{5_000, 20_000} {
		a := []rune(strings.Repeat("MinerU turns PDFs into Markdown. ", n/33+1))[:n]
		c := append([]rune(nil), a...)
		for i := 0; i < n; i += 10 {
			c[i] = 'x'
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Ratio(string(a), string(c)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
