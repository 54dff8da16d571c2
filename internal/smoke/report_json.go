package smoke

import (
	"encoding/json"
	"io"
	"time"
)

// JSONSchema names the version of the JSON report's shape. It changes only
// when a field is removed or changes meaning; new fields may appear.
const JSONSchema = "macabox.smoke/v1"

// The JSON report (schema macabox.smoke/v1):
//
//	{
//	  "schema": "macabox.smoke/v1",
//	  "target": "mineru-vllm",          suite name
//	  "image": "…",                      image reference tested
//	  "imageId": "sha256:…",             its ID (config digest); absent when unknown
//	  "repoDigests": ["repo@sha256:…"],  registry digests; absent when none
//	  "platform": {"arch": "x86_64", "cpu": "…", "os": "…", "accelerator": "…", "driver": "…", "gpus": 1},
//	  "host": {"docker": "…", "kernelDriver": "…", …},   doctor's facts; runs that compare or measure
//	  "simulated": true,                 only for a simulated MACA image
//	  "runId": "r1a2b3c4d5e6",           label value on the container
//	  "container": "…",                  only when kept (--keep)
//	  "device": {"available": false, "reason": "no MACA device under /dev", "required": false},
//	  "started": "2026-01-02T03:04:05Z", RFC 3339, UTC
//	  "durationSeconds": 3.2,            milliseconds precision
//	  "ok": false,                       every test that ran passed, and all ran
//	  "incomplete": "…",                 only when not every test ran
//	  "summary": {"total": 5, "passed": 3, "failed": 1, "errors": 0, "skipped": 1},
//	  "tests": [{
//	    "name": "cli", "kind": "command|file|variable|service",
//	    "origin": "recipes/mineru.yaml:12", "recipe": "mineru",
//	    "status": "passed|failed|skipped|error",
//	    "message": "exit code 1, expected 0",   headline; the skip reason when skipped
//	    "durationSeconds": 0.12,
//	    "command": "mineru --version",
//	    "expected": ["exit code 0"],
//	    "problems": ["exit code 1, expected 0"],
//	    "stdout": {"text": "…", "omittedLines": 12},   tails; absent when empty
//	    "stderr": {…}, "serviceLog": {…},
//	    "comparison": {"mode": "numeric", "ok": false, "summary": "…", "reference": "…",
//	      "fields": [{"path": "$.loss", "mode": "numeric", "ok": false, "reference": "0.12",
//	                  "got": "0.13", "detail": "|Δ| 0.01 > allowed 0.001", "similarity": 0.97}]},
//	    "bench": {"warmup": 1, "repeat": 5, "reference": "…", "metrics": [{"name": "tokens/s",
//	      "unit": "tok/s", "better": "higher", "samples": [1, 2], "stats": {"n": 5, "median": …,
//	      "p95": …, "min": …, "max": …, "spread": …}, "reference": {same as stats}, "ratio": 0.5}]}
//	  }]
//	}
//
// Optional fields are absent rather than empty.
type jsonReport struct {
	Schema      string            `json:"schema"`
	Target      string            `json:"target"`
	Image       string            `json:"image"`
	ImageID     string            `json:"imageId,omitempty"`
	RepoDigests []string          `json:"repoDigests,omitempty"`
	Platform    *Platform         `json:"platform,omitempty"`
	Host        map[string]string `json:"host,omitempty"`
	Simulated   bool              `json:"simulated,omitempty"`
	RunID       string            `json:"runId"`
	Container   string            `json:"container,omitempty"`
	Device      jsonDevice        `json:"device"`
	Started     string            `json:"started"`
	Duration    json.Number       `json:"durationSeconds"`
	OK          bool              `json:"ok"`
	Incomplete  string            `json:"incomplete,omitempty"`
	Summary     jsonSummary       `json:"summary"`
	Tests       []jsonResult      `json:"tests"`
}

type jsonDevice struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	Required  bool   `json:"required"`
}

type jsonSummary struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errors  int `json:"errors"`
	Skipped int `json:"skipped"`
	XFailed int `json:"xfailed,omitempty"`
}

type jsonResult struct {
	Name       string          `json:"name"`
	Kind       Kind            `json:"kind"`
	Origin     string          `json:"origin,omitempty"`
	Recipe     string          `json:"recipe,omitempty"`
	Status     Status          `json:"status"`
	Message    string          `json:"message,omitempty"`
	Duration   json.Number     `json:"durationSeconds"`
	Command    string          `json:"command,omitempty"`
	Expected   []string        `json:"expected,omitempty"`
	Problems   []string        `json:"problems,omitempty"`
	Stdout     *jsonTail       `json:"stdout,omitempty"`
	Stderr     *jsonTail       `json:"stderr,omitempty"`
	ServiceLog *jsonTail       `json:"serviceLog,omitempty"`
	Comparison *jsonComparison `json:"comparison,omitempty"`
	Bench      *jsonBench      `json:"bench,omitempty"`
}

type jsonTail struct {
	Text         string `json:"text"`
	OmittedLines int    `json:"omittedLines,omitempty"`
}

// WriteJSON writes the report as JSON (see JSONSchema), indented, with a
// final newline.
func WriteJSON(w io.Writer, r *Report) error {
	s := r.Summary()
	out := jsonReport{
		Schema: JSONSchema, Target: r.Target, Image: r.Image, ImageID: r.ImageID, RepoDigests: r.RepoDigests, Host: r.Host,
		Simulated: r.Simulated, RunID: r.RunID, Container: r.Container,
		Device:     jsonDevice{Available: r.Device.Available, Reason: r.Device.Reason, Required: r.Device.Required},
		Started:    r.Started.UTC().Format(time.RFC3339),
		Duration:   json.Number(seconds(r.Duration)),
		OK:         r.OK(),
		Incomplete: r.Incomplete,
		Summary:    jsonSummary{Total: s.Total, Passed: s.Passed, Failed: s.Failed, Errors: s.Errors, Skipped: s.Skipped, XFailed: s.XFailed},
		Tests:      make([]jsonResult, 0, len(r.Results)),
	}
	if r.Platform != (Platform{}) {
		out.Platform = &r.Platform
	}
	for _, res := range r.Results {
		out.Tests = append(out.Tests, jsonResult{
			Name: res.Name, Kind: res.Kind, Origin: res.Origin, Recipe: res.Recipe, Status: res.Status,
			Message: res.Message, Duration: json.Number(seconds(res.Duration)), Command: res.Command,
			Expected: res.Expected, Problems: res.Problems,
			Stdout: jsonTailOf(res.Stdout), Stderr: jsonTailOf(res.Stderr), ServiceLog: jsonTailOf(res.ServiceLog),
			Comparison: jsonComparisonOf(res.Comparison), Bench: jsonBenchOf(res.Bench),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func jsonTailOf(t Tail) *jsonTail {
	if t.Text == "" {
		return nil
	}
	return &jsonTail{Text: t.Text, OmittedLines: t.OmittedLines}
}
