package pipeline_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/evidence"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// evidenceTree is a stack on the simulated MACA base whose tests compare
// and measure; its outputs differ between the Debian fixture and maca-sim
// only within the tolerance.
const evidenceTree = `apiVersion: macabox/v1
kind: Image
name: ev-sim
from: %s
simulated: true
maca: {version: 3.0.0.5}
---
apiVersion: macabox/v1
kind: Layer
name: ev-layer
steps:
  - env: {EV_LAYER: "1"}
---
apiVersion: macabox/v1
kind: Stack
name: ev
base: ev-sim
layers: [ev-layer]
smoke:
  - name: same result
    run: |
      if [ -e /opt/maca ]; then v=1.0004; else v=1.0; fi
      echo "{\"score\": $v}"
    compare: {mode: numeric, rel: 0.001, fields: [{path: $.score}]}
  - name: throughput
    run: |
      if [ -e /opt/maca ]; then n=80; else n=100; fi
      echo "$n items/s"
    bench:
      repeat: 2
      metrics: [{name: items/s, regex: '(\d+) items/s', better: higher}]
`

// TestBundleEvidence records references on the Debian fixture, builds and
// tests the stack on the simulated base with a CTRF report, and exports it:
// the bundle carries the references, the report and an SBOM, and its
// in-toto statement names the image digest and the digest of its
// SHA256SUMS. verify checks the statement; reproduce compares with the
// bundle's references and shows its results beside the contributor's.
func TestBundleEvidence(t *testing.T) {
	w := newWorld(t, "")
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "recipes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "recipes", "ev.yaml"), []byte(fmt.Sprintf(evidenceTree, w.env.MacaSimRef)), 0o644); err != nil {
		t.Fatal(err)
	}
	none := pipeline.DeviceOptions{Profile: device.ProfileNone}
	if _, err := pipeline.RecordReferences(testContext(t), pipeline.ReferenceOptions{
		Root: root, Target: "ev", Image: w.env.DebianRef,
		Smoke: pipeline.SmokeOptions{Device: none, Out: io.Discard, Err: testLog{t}},
	}); err != nil {
		t.Fatal(err)
	}

	image := w.tag("ev")
	report := filepath.Join(t.TempDir(), "results.ctrf.json")
	req := pipeline.RequestOptions{Bases: w.bases(), Epoch: strconv.FormatInt(testEpoch, 10), Tags: []string{image}, Progress: "quiet"}
	if _, err := pipeline.Build(testContext(t), pipeline.BuildOptions{
		Root: root, Targets: []string{"ev"}, Request: req, Builder: pipeline.BuilderOptions{Addr: w.addr}, Err: testLog{t},
		Test: &pipeline.SmokeOptions{Device: none, Out: io.Discard, Err: testLog{t},
			Reports: []smoke.ReportSpec{{Format: smoke.FormatCTRF, Path: report}}},
	}); err != nil {
		t.Fatalf("build --test: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "bundle")
	res, err := pipeline.Export(testContext(t), pipeline.ExportOptions{
		Root: root, Target: "ev", Out: dir, Builder: pipeline.BuilderOptions{Addr: w.addr},
		Request: req, TestReport: report, Err: testLog{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	files := bundleFiles(t, dir)
	for _, name := range []string{bundle.ResultsName, bundle.SBOMName, evidence.StatementName,
		bundle.ReferencesDir + "/" + evidence.FileName("same result"), bundle.ReferencesDir + "/" + evidence.FileName("throughput")} {
		if files[name] == nil {
			t.Errorf("the bundle lacks %s", name)
		}
	}
	if strings.Contains(string(files[bundle.SumsName]), evidence.StatementName) {
		t.Error("SHA256SUMS lists the statement that names it")
	}
	a, err := evidence.ParseStatement(files[evidence.StatementName])
	if err != nil {
		t.Fatal(err)
	}
	if a.ImageDigest != res.Expected.ManifestDigest || a.SumsSHA256 != evidence.SHA256(files[bundle.SumsName]) ||
		a.Predicate.RecipeInputs != res.Expected.InputsDigest || a.Predicate.Tests == nil || len(a.Predicate.References) != 2 ||
		len(a.Predicate.Bench) != 1 || *a.Predicate.Bench[0].Ratio != 0.8 {
		t.Errorf("the statement: %+v", a)
	}
	v, err := bundle.Verify(t.Context(), dir)
	if err != nil || !v.OK() || v.Statement == nil {
		t.Fatalf("verify: %v %+v", err, v)
	}

	rep := w.reproduce(dir, nil, nil)
	if rep.Verdict != bundle.VerdictReproduced || rep.Contributor == nil {
		t.Fatalf("reproduce: %s (%s), contributor %v", rep.Verdict, rep.Reason, rep.Contributor)
	}
	for _, r := range rep.Smoke.Results {
		if r.Status != smoke.StatusPassed || (r.Comparison == nil && r.Bench == nil) {
			t.Errorf("reproduced %s: %s %q", r.Name, r.Status, r.Message)
		}
	}
	var md strings.Builder
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Beside the contributor's results", "| same result | ✅ passed | ✅ passed |", "| throughput · items/s | 80 | 80 | 100 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the reproduce report lacks %q:\n%s", want, md.String())
		}
	}

	// The statement and the bundle disagree once the statement names
	// another image: verify fails, naming both.
	stmt := filepath.Join(dir, evidence.StatementName)
	other := strings.Replace(string(files[evidence.StatementName]), strings.TrimPrefix(res.Expected.ManifestDigest, "sha256:"), strings.Repeat("0", 64), 1)
	if err := os.WriteFile(stmt, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err := bundle.Verify(t.Context(), dir); err != nil || v.OK() || !strings.Contains(v.Problems[0].Detail, "expected.json records "+res.Expected.ManifestDigest) {
		t.Errorf("verify of a statement of another image: %v %+v", err, v)
	}

	// A test report of another image is refused.
	data, _ := os.ReadFile(report)
	var c *smoke.CTRFResults
	if c, err = smoke.ReadCTRF(data); err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(t.TempDir(), "wrong.ctrf.json")
	if err := os.WriteFile(wrong, []byte(strings.ReplaceAll(string(data), c.ImageID, "sha256:"+strings.Repeat("9", 64))), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.Export(testContext(t), pipeline.ExportOptions{
		Root: root, Target: "ev", Out: filepath.Join(t.TempDir(), "b2"), Builder: pipeline.BuilderOptions{Addr: w.addr},
		Request: req, TestReport: wrong, Err: testLog{t},
	})
	if !errors.Is(err, bundle.ErrTestReport) || !errors.Is(err, pipeline.ErrCannot) {
		t.Errorf("export with a report of another image: %v", err)
	}
}
