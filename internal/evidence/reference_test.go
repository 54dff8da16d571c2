package evidence

import (
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/compare"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

func TestFileNames(t *testing.T) {
	for name, want := range map[string]string{
		"throughput":  "throughput.json",
		"loss-v2":     "loss-v2.json",
		"same loss":   "same-loss-",
		"Same Loss":   "same-loss-",
		"识别结果":        "",
		"a/../../etc": "a-etc-",
	} {
		got := FileName(name)
		if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, ".json") || strings.ContainsAny(got, "/ ") {
			t.Errorf("FileName(%q) = %q, want %q…", name, got, want)
		}
	}
	if FileName("same loss") == FileName("Same Loss") || FileName("a b") == FileName("a-b") {
		t.Error("two test names share a reference file")
	}
}

func TestReferenceRoundTrip(t *testing.T) {
	out := "loss 0.1234\n"
	res := smoke.Result{Name: "loss", Status: smoke.StatusPassed, Captured: &out,
		Bench: &smoke.BenchResult{Warmup: 1, Repeat: 2, Metrics: []smoke.MetricResult{{Name: "t", Samples: []float64{1, 3}, Stats: compare.Summarize([]float64{1, 3})}}}}
	rep := &smoke.Report{Image: "debian:bookworm", ImageID: "sha256:" + strings.Repeat("e", 64), Platform: smoke.Platform{Arch: "x86_64"},
		Host: map[string]string{"docker": "20.10"}}
	prov := NewProvenance(rep, "none", "test", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	ref, err := NewReference("demo", smoke.Test{Name: "loss", Run: "echo", Compare: &smoke.Compare{}}, res, prov)
	if err != nil {
		t.Fatal(err)
	}
	data, err := ref.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"docker": "20.10"`) {
		t.Error("the host's facts are not recorded")
	}
	back, err := ParseReference(data)
	if err != nil {
		t.Fatal(err)
	}
	s := back.Smoke()
	if !s.HasOutput || s.Output != out || s.Metrics["t"].Median != 2 ||
		s.Source != "debian:bookworm (eeeeeeeeeeee) on x86_64, device none, recorded 2026-03-01" {
		t.Errorf("%+v", s)
	}
	if _, err := ParseReference([]byte(strings.Replace(string(data), ReferenceSchema, "macabox.reference/v9", 1))); err == nil {
		t.Error("a reference of another schema was read")
	}
	res.Status = smoke.StatusFailed
	if _, err := NewReference("demo", smoke.Test{Name: "loss"}, res, prov); err == nil {
		t.Error("a failed run was recorded as a reference")
	}
}
