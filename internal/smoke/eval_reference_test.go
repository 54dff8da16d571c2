package smoke

import (
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/compare"
)

func refOf(output string) *Against {
	return &Against{Reference: &Reference{Output: output, HasOutput: true, Source: "ref image"}}
}

func TestEvaluateCompare(t *testing.T) {
	numeric := &Compare{Mode: "numeric", Abs: 0.001}
	tests := []struct {
		name    string
		compare *Compare
		against *Against
		obs     Observation
		status  Status
		problem string
	}{
		{name: "within tolerance", compare: numeric, against: refOf("loss 0.1234\n"),
			obs: Observation{Command: &CommandOutput{Stdout: "loss 0.1239\n"}}, status: StatusPassed},
		{name: "outside tolerance", compare: numeric, against: refOf("loss 0.1234\n"),
			obs:    Observation{Command: &CommandOutput{Stdout: "loss 0.1300\n"}},
			status: StatusFailed, problem: "differs from the reference: line 1, number 1: reference 0.1234, got 0.1300: |Δ| 0.0066 > allowed 0.001"},
		{name: "no reference attached", compare: numeric,
			obs:    Observation{Command: &CommandOutput{Stdout: "loss 0.1\n"}},
			status: StatusFailed, problem: NoReference},
		{name: "no reference recorded", compare: numeric, against: &Against{Missing: "no reference recorded for x, run macabox reference record demo"},
			obs:    Observation{Command: &CommandOutput{Stdout: "loss 0.1\n"}},
			status: StatusFailed, problem: "no reference recorded for x, run macabox reference record demo"},
		{name: "recording compares nothing", compare: numeric, against: &Against{Recording: true},
			obs: Observation{Command: &CommandOutput{Stdout: "anything\n"}}, status: StatusPassed},
		{name: "a file capture", compare: &Compare{File: "/tmp/out.txt"}, against: refOf("same"),
			obs: Observation{Command: &CommandOutput{}, Captured: &CapturedFile{Text: "same\n"}}, status: StatusPassed},
		{name: "a file that is missing", compare: &Compare{File: "/tmp/out.txt"}, against: refOf("same"),
			obs:    Observation{Command: &CommandOutput{}, Captured: &CapturedFile{Problem: "/tmp/out.txt does not exist"}},
			status: StatusFailed, problem: "compare: /tmp/out.txt does not exist"},
		{name: "a field missing in the reference", compare: &Compare{Fields: []CompareField{{Path: "loss"}}}, against: refOf(`{"acc": 1}`),
			obs:    Observation{Command: &CommandOutput{Stdout: `{"loss": 1}`}},
			status: StatusError, problem: `compare: the reference cannot be compared with: JSON path loss: $ has no key "loss"; record the reference again`},
		{name: "a failed command is not compared", compare: numeric, against: refOf("1"),
			obs: Observation{Command: &CommandOutput{Exit: 1, Stdout: "2"}}, status: StatusFailed, problem: "exit code 1, expected 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(Test{Name: tc.name, Run: "x", Compare: tc.compare, Against: tc.against}, tc.obs)
			if v.Status != tc.status || (tc.problem != "" && v.Message != tc.problem) {
				t.Errorf("got %s %q, want %s %q", v.Status, v.Message, tc.status, tc.problem)
			}
		})
	}
}

func TestEvaluateSimilarityShowsTheRatio(t *testing.T) {
	c := &Compare{Mode: "similarity", Threshold: 0.9}
	ref := "MinerU converts PDF documents into Markdown and JSON."
	v := Evaluate(Test{Name: "ocr", Run: "x", Compare: c, Against: refOf(ref)},
		Observation{Command: &CommandOutput{Stdout: "MinerU converts PDF documents to Markdown and JSON."}})
	if v.Status != StatusPassed || v.Comparison == nil || v.Comparison.Fields[0].Similarity == nil {
		t.Fatalf("%s %q %+v", v.Status, v.Message, v.Comparison)
	}
	v = Evaluate(Test{Name: "ocr", Run: "x", Compare: c, Against: refOf(ref)},
		Observation{Command: &CommandOutput{Stdout: "Mineru turns PDFs into text."}})
	if v.Status != StatusFailed || !strings.Contains(v.Message, "below threshold 0.900") {
		t.Fatalf("%s %q", v.Status, v.Message)
	}
}

func benchObs(outputs ...string) Observation {
	var obs Observation
	for i, o := range outputs {
		obs.Runs = append(obs.Runs, BenchRun{Output: CommandOutput{Stdout: o}, Duration: time.Duration(i+1) * time.Second, Warmup: i == 0})
	}
	obs.Command = &obs.Runs[len(obs.Runs)-1].Output
	return obs
}

func TestEvaluateBench(t *testing.T) {
	b := &Bench{Warmup: 1, Repeat: 3, Metrics: []Metric{
		{Name: "tokens/s", Regex: `([\d,.]+) tokens/s`, Better: "higher"},
		{Name: "latency", JSON: "latency_ms", Unit: "ms", Better: "lower"},
		{Name: "wall", Wall: true, Unit: "s"},
	}}
	obs := benchObs(
		"1 tokens/s\n{\"latency_ms\": 99}",
		"1,000 tokens/s\n{\"latency_ms\": 10}\n",
		"1,200 tokens/s\n{\"latency_ms\": 12}",
		"1,100 tokens/s\n{\"latency_ms\": 11}",
	)
	ref := &Against{Reference: &Reference{Source: "cuda", Metrics: map[string]compare.Stats{
		"tokens/s": {N: 3, Median: 2200}, "latency": {N: 3, Median: 5.5}, "wall": {N: 3, Median: 1.5},
	}}}
	v := Evaluate(Test{Name: "speed", Run: "x", Bench: b, Against: ref}, obs)
	if v.Status != StatusPassed || v.Bench == nil {
		t.Fatalf("%s %q", v.Status, v.Message)
	}
	m := v.Bench.Metrics
	if m[0].Stats.Median != 1100 || m[0].Stats.N != 3 || *m[0].Ratio != 0.5 {
		t.Errorf("tokens/s: %+v ratio %v", m[0].Stats, *m[0].Ratio)
	}
	if m[1].Stats.Median != 11 || m[1].Stats.P95 != 12 || *m[1].Ratio != 2 {
		t.Errorf("latency: %+v", m[1].Stats)
	}
	if m[2].Stats.Median != 3 || *m[2].Ratio != 2 {
		t.Errorf("wall (the warm-up's 1 s left out): %+v", m[2].Stats)
	}

	v = Evaluate(Test{Name: "speed", Run: "x", Bench: b, Against: ref}, benchObs("w", "1 tokens/s", "oops", "1 tokens/s"))
	if v.Status != StatusFailed || !strings.Contains(v.Message, `bench metric "tokens/s": measured run 2: stdout does not match`) {
		t.Errorf("%s %q", v.Status, v.Message)
	}
	v = Evaluate(Test{Name: "speed", Run: "x", Bench: b}, obs)
	if v.Status != StatusFailed || v.Message != NoReference || v.Bench == nil {
		t.Errorf("without a reference: %s %q", v.Status, v.Message)
	}
	failed := benchObs("a", "b")
	failed.Runs[1].Output.Exit = 2
	v = Evaluate(Test{Name: "speed", Run: "x", Bench: b, Against: ref}, failed)
	if v.Status != StatusFailed || v.Message != "exit code 2, expected 0" || !strings.Contains(strings.Join(v.Problems, "\n"), "run 2 of 2 exited 2") {
		t.Errorf("%s %q %q", v.Status, v.Message, v.Problems)
	}
}
