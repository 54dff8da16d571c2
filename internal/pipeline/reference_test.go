package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/evidence"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// comparedImage is a recipe whose tests print one thing on the reference
// side (the Debian fixture, a CPU image) and another on the simulated MACA
// base (which has /opt/maca): close enough for some tests, deliberately too
// far for others.
const comparedImage = `apiVersion: macabox/v1
kind: Image
name: compared
from: %s
smoke:
  - name: loss within tolerance
    run: |
      if [ -e /opt/maca ]; then loss=0.1239; else loss=0.1234; fi
      echo "{\"loss\": $loss, \"steps\": 10}"
    compare: {mode: numeric, abs: 0.001, fields: [{path: $.loss}, {path: $.steps, mode: exact}]}
  - name: loss off by too much
    run: |
      if [ -e /opt/maca ]; then loss=0.1300; else loss=0.1234; fi
      echo "{\"loss\": $loss, \"steps\": 10}"
    compare: {mode: numeric, abs: 0.001, fields: [{path: $.loss}]}
  - name: answer close enough
    run: |
      if [ -e /opt/maca ]; then echo 'The quick brown fox jumped over the lazy dog.'
      else echo 'The quick brown fox jumps over the lazy dog.'; fi
    compare: {mode: similarity, threshold: 0.9}
  - name: answer too different
    run: |
      if [ -e /opt/maca ]; then echo 'A slow red fox walks past a sleeping cat.'
      else echo 'The quick brown fox jumps over the lazy dog.'; fi
    compare: {mode: similarity, threshold: 0.9}
  - name: numbers in a file
    run: |
      mkdir -p /tmp/out
      if [ -e /opt/maca ]; then v=2.0004; else v=2.0; fi
      printf 'result %%s\nstatus ok\n' "$v" > /tmp/out/result.txt
    compare: {file: /tmp/out/result.txt, mode: numeric, rel: 0.001}
  - name: never recorded
    run: echo 1
    compare: {}
  - name: throughput
    run: |
      if [ -e /opt/maca ]; then n=50; else n=100; fi
      echo "$n items/s"
    bench:
      warmup: 1
      repeat: 3
      metrics:
        - {name: items/s, regex: '(\d+) items/s', unit: items/s, better: higher}
        - {name: time, wall: true, unit: s, better: lower}
`

// TestRecordOnDebianCompareOnMACASim records references on the Debian
// fixture image and compares the simulated MACA base with them: values
// within tolerance pass, values outside fail with the field and both
// values, similarity passes above the threshold and fails below it with
// the ratio found, a missing reference fails with the command that records
// it, and a benchmark reports both sides and their ratio.
func TestRecordOnDebianCompareOnMACASim(t *testing.T) {
	env := testenv.RequireDocker(t)
	root := t.TempDir()
	file := filepath.Join(root, "images", "compared.yaml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(fmt.Sprintf(comparedImage, env.MacaSimRef)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	none := pipeline.DeviceOptions{Profile: device.ProfileNone}

	rec, err := pipeline.RecordReferences(ctx, pipeline.ReferenceOptions{
		Root: root, Target: "compared", Image: env.DebianRef, Version: "test",
		Smoke: pipeline.SmokeOptions{Device: none, Out: io.Discard, Err: testLog{t}},
	})
	if err != nil {
		t.Fatalf("recording on %s: %v", env.DebianRef, err)
	}
	refs := filepath.Join(root, "images", "refs", "compared")
	if rec.Dir != refs || len(rec.Files) != 7 {
		t.Fatalf("recorded %d files into %s, want 7 into %s", len(rec.Files), rec.Dir, refs)
	}
	ref, err := evidence.ReadReference(filepath.Join(refs, evidence.FileName("loss within tolerance")))
	if err != nil {
		t.Fatal(err)
	}
	p := ref.Provenance
	if p.Image != env.DebianRef || !strings.HasPrefix(p.ImageID, "sha256:") || p.Device.Profile != "none" ||
		p.Platform.Arch == "" || p.Recorded.IsZero() || p.Host["docker"] == "" || *ref.Output != "{\"loss\": 0.1234, \"steps\": 10}\n" {
		t.Errorf("provenance or output: %+v %q", p, *ref.Output)
	}

	// Validate finds the reference that is missing once one is removed, and
	// a JSON path the recorded output does not have, each at its line.
	if err := os.Remove(filepath.Join(refs, evidence.FileName("never recorded"))); err != nil {
		t.Fatal(err)
	}
	misspelt := strings.Replace(fmt.Sprintf(comparedImage, env.MacaSimRef), "{path: $.steps, mode: exact}", "{path: $.step, mode: exact}", 1)
	if err := os.WriteFile(file, []byte(misspelt), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := pipeline.LoadSet(root)
	if err != nil {
		t.Fatal(err)
	}
	errs := pipeline.ReferenceErrors(set).Sorted()
	missing := lineOf(t, comparedImage, "  - name: never recorded") + 2
	if len(errs) != 2 ||
		errs[0].Pos.Line != lineOf(t, comparedImage, "  - name: loss within tolerance")+4 || errs[0].Field != "path" ||
		!strings.Contains(errs[0].Msg, `JSON path $.step is not in the output recorded for compared`) || !strings.Contains(errs[0].Msg, `$ has no key "step"`) ||
		errs[1].Pos.Line != missing || errs[1].Field != "compare" ||
		!strings.Contains(errs[1].Msg, "no reference recorded for compared") ||
		!strings.Contains(errs[1].Msg, "run macabox reference record compared --image REF_IMAGE") {
		t.Errorf("validate:\n%v", errs)
	}
	if err := os.WriteFile(file, []byte(fmt.Sprintf(comparedImage, env.MacaSimRef)), 0o644); err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	rep, err := pipeline.Test(ctx, pipeline.TestOptions{
		Root: root, Target: "compared", Image: env.MacaSimRef,
		Smoke: pipeline.SmokeOptions{Device: none, Out: io.Discard, Err: testLog{t}, Reports: []smoke.ReportSpec{
			{Format: smoke.FormatMarkdown, Path: filepath.Join(out, "report.md")},
			{Format: smoke.FormatCTRF, Path: filepath.Join(out, "report.ctrf.json")},
		}},
	})
	if !errors.Is(err, pipeline.ErrTestsFailed) {
		t.Fatalf("testing on %s: %v", env.MacaSimRef, err)
	}
	got := map[string]smoke.Result{}
	for _, r := range rep.Results {
		got[r.Name] = r
	}
	for name, want := range map[string]struct {
		status  smoke.Status
		message string
	}{
		"loss within tolerance": {smoke.StatusPassed, ""},
		"loss off by too much":  {smoke.StatusFailed, "differs from the reference: field $.loss: reference 0.1234, got 0.1300: |Δ| 0.0066 > allowed 0.001"},
		"answer close enough":   {smoke.StatusPassed, ""},
		"answer too different":  {smoke.StatusFailed, "differs from the reference: similarity "},
		"numbers in a file":     {smoke.StatusPassed, ""},
		"never recorded": {smoke.StatusFailed, `no reference recorded for compared test "never recorded" (` +
			pipeline.RelPath(filepath.Join(refs, evidence.FileName("never recorded"))) + `), run macabox reference record compared --image REF_IMAGE`},
		"throughput": {smoke.StatusPassed, ""},
	} {
		r := got[name]
		if r.Status != want.status || !strings.HasPrefix(r.Message, want.message) {
			t.Errorf("%s: %s %q, want %s %q", name, r.Status, r.Message, want.status, want.message)
		}
	}
	if c := got["answer close enough"].Comparison; c == nil || c.Fields[0].Similarity == nil || *c.Fields[0].Similarity < 0.9 {
		t.Errorf("the similarity found is not shown: %+v", c)
	}
	if m := got["answer too different"].Message; !strings.Contains(m, "below threshold 0.900") {
		t.Errorf("the failing similarity does not show the ratio and threshold: %q", m)
	}
	if rep.Host["docker"] == "" || rep.Platform.Arch == "" || !strings.HasPrefix(rep.ImageID, "sha256:") {
		t.Errorf("the results do not carry the image and host they were measured on: %q %+v %v", rep.ImageID, rep.Platform, rep.Host)
	}
	b := got["throughput"].Bench
	if b == nil || b.Metrics[0].Stats.Median != 50 || b.Metrics[0].Reference == nil || b.Metrics[0].Reference.Median != 100 || *b.Metrics[0].Ratio != 0.5 {
		t.Errorf("throughput: %+v", b)
	}

	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#### Comparison with the reference", "| throughput | items/s | 50 items/s | 50 items/s | 0.0% | 100 items/s | 100 items/s | 0.50× (worse) |",
		"![Benchmarks: this run beside the reference](report.bench.svg)", "Reference: " + env.DebianRef} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the Markdown report lacks %q:\n%s", want, md)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.bench.svg")); err != nil {
		t.Errorf("no chart beside the Markdown report: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(out, "report.ctrf.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := smoke.ReadCTRF(data); err != nil || c.ImageID != rep.ImageID || len(c.Tests) != 7 {
		t.Errorf("the CTRF report: %v %+v", err, c)
	}
}

// lineOf is the 1-based line of text that starts with prefix.
func lineOf(t *testing.T, text, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}
