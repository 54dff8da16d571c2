package evidence

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestStatementRoundTrip(t *testing.T) {
	sums := []byte(strings.Repeat("0", 64) + "  Dockerfile\n")
	ratio := 0.5
	in := StatementInput{
		Image: "macabox/demo:sim", ManifestDigest: "sha256:" + strings.Repeat("ab", 32), Sums: sums,
		Predicate: Predicate{
			Target: "demo", Simulated: true, RecipeInputs: "sha256:" + strings.Repeat("cd", 32), SourceDateEpoch: 1735689600,
			BuildKit: "v0.34.2", SBOM: FileRecord{File: "evidence/sbom.cdx.json", SHA256: strings.Repeat("1", 64)},
			Bench: []BenchFigure{{Test: "speed", Metric: "items/s", Median: 50, P95: 55, ReferenceMedian: new(float64), Ratio: &ratio}},
		},
	}
	data, err := Statement(in)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Statement(in)
	if !bytes.Equal(data, again) {
		t.Error("two statements of the same bundle differ")
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["_type"] != "https://in-toto.io/Statement/v1" || raw["predicateType"] != PredicateType {
		t.Errorf("statement header: %v %v", raw["_type"], raw["predicateType"])
	}
	a, err := ParseStatement(data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Image != in.Image || a.ImageDigest != in.ManifestDigest || a.SumsSHA256 != SHA256(sums) ||
		a.Predicate.RecipeInputs != in.Predicate.RecipeInputs || *a.Predicate.Bench[0].Ratio != 0.5 {
		t.Errorf("read back %+v", a)
	}

	for name, bad := range map[string]string{
		"not JSON":            "{",
		"another predicate":   strings.Replace(string(data), PredicateType, "https://slsa.dev/provenance/v1", 1),
		"no SHA256SUMS":       strings.Replace(string(data), `"name": "SHA256SUMS"`, `"name": "other"`, 1),
		"another statement v": strings.Replace(string(data), "Statement/v1", "Statement/v9", 1),
	} {
		if _, err := ParseStatement([]byte(bad)); err == nil {
			t.Errorf("%s: read as a statement", name)
		}
	}
	if _, err := Statement(StatementInput{Image: "x", ManifestDigest: "md5:00"}); err == nil {
		t.Error("a statement of an image without a sha256 digest")
	}
}
