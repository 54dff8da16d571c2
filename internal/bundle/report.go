package bundle

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/hostcheck"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// ReportSchema names the shape of the JSON reproduce report.
const ReportSchema = "macabox.reproduce/v1"

// Verdict is the one-word outcome of a reproduction.
type Verdict string

const (
	// VerdictReproduced: same manifest digest, and every smoke test that
	// ran passed.
	VerdictReproduced Verdict = "reproduced"
	// VerdictDigestDiffers: the rebuild gave another manifest digest.
	VerdictDigestDiffers Verdict = "digest differs"
	// VerdictTestsFailed: same digest, but a smoke test failed.
	VerdictTestsFailed Verdict = "tests failed"
	// VerdictBuildFailed: the bundle's Dockerfile did not build.
	VerdictBuildFailed Verdict = "build failed"
	// VerdictCorrupt: the bundle does not verify (it does not match its
	// SHA256SUMS, holds what a bundle may not, or its records are
	// inconsistent); nothing was built.
	VerdictCorrupt Verdict = "bundle does not verify"
)

// Report is the outcome of a reproduction: what a reviewer pastes into the
// pull request.
type Report struct {
	Schema  string  `json:"schema"`
	Bundle  string  `json:"bundle"`
	Target  string  `json:"target,omitempty"`
	Verdict Verdict `json:"verdict"`
	// Reason says in a sentence why the verdict is what it is.
	Reason        string        `json:"reason"`
	OK            bool          `json:"ok"`
	Simulated     bool          `json:"simulated"`
	SimulatedNote string        `json:"simulatedNote,omitempty"`
	Verify        VerifySummary `json:"verify"`
	Expected      Side          `json:"expected"`
	Actual        Side          `json:"actual"`
	// Same is set when the manifest digests are equal.
	Same            bool   `json:"same"`
	SourceDateEpoch int64  `json:"sourceDateEpoch,omitempty"`
	Bases           []Base `json:"bases,omitempty"`
	// Lock and Unlocked are what the bundle says of its locked inputs.
	Lock        *LockInfo       `json:"lock,omitempty"`
	Unlocked    []UnlockedInput `json:"unlocked,omitempty"`
	BuildError  string          `json:"buildError,omitempty"`
	Explanation *Explanation    `json:"explanation,omitempty"`
	// Smoke is the smoke report; SmokeError says why the tests could not
	// all run.
	Smoke      *smoke.Report `json:"-"`
	SmokeError string        `json:"smokeError,omitempty"`
	// Contributor is the test report the bundle carries: the contributor's
	// results, shown beside this run's.
	Contributor *smoke.CTRFResults `json:"contributor,omitempty"`
	Host        hostcheck.Facts    `json:"host"`
	Started     time.Time          `json:"started"`
	Duration    time.Duration      `json:"-"`
}

// VerifySummary is the verification part of a report.
type VerifySummary struct {
	Files    int       `json:"files"`
	Problems []Problem `json:"problems,omitempty"`
	// Omitted counts the problems left out of Problems.
	Omitted int `json:"omitted,omitempty"`
}

// SummaryOf is the verification part of a report on v.
func SummaryOf(v *Verified) VerifySummary {
	return VerifySummary{Files: v.Files, Problems: v.Problems, Omitted: v.Omitted}
}

// Side is one side of the digest comparison.
type Side struct {
	ManifestDigest string   `json:"manifestDigest,omitempty"`
	ConfigDigest   string   `json:"configDigest,omitempty"`
	Platform       string   `json:"platform,omitempty"`
	BuildKit       BuildKit `json:"buildkit"`
	// Image is the rebuilt image's name in Docker.
	Image        string  `json:"image,omitempty"`
	BuildSeconds float64 `json:"buildSeconds,omitempty"`
	// Macabox made the bundle (expected) or reproduces it (actual).
	Macabox *Tool `json:"macabox,omitempty"`
}

// SetVerdict gives the report its outcome and the reason in a sentence.
func (r *Report) SetVerdict(v Verdict, reason string) {
	r.Verdict, r.Reason, r.OK = v, reason, v == VerdictReproduced
}

// FromExpected fills in what the bundle recorded.
func (r *Report) FromExpected(e *Expected) {
	r.Target, r.Simulated, r.SimulatedNote = e.Target, e.Simulated, e.SimulatedNote
	r.Expected = Side{ManifestDigest: e.ManifestDigest, ConfigDigest: e.ConfigDigest, Platform: e.Platform, BuildKit: e.BuildKit, Macabox: e.Macabox}
	r.SourceDateEpoch, r.Bases = e.SourceDateEpoch, e.Bases
	r.Lock, r.Unlocked = e.Lock, e.Unlocked
}

// Decide sets the verdict once the digests are compared and the tests ran.
func (r *Report) Decide() {
	testsOK := r.Smoke != nil && r.Smoke.OK() && r.SmokeError == ""
	switch {
	case !r.Same && r.Explanation != nil:
		r.SetVerdict(VerdictDigestDiffers, r.Explanation.Summary)
	case !r.Same:
		r.SetVerdict(VerdictDigestDiffers, "the manifest digest differs")
	case !testsOK:
		reason := "the image is bit-for-bit the same, but smoke tests failed"
		if r.Smoke == nil || r.SmokeError != "" {
			reason = "the image is bit-for-bit the same, but the smoke tests could not all run"
		}
		r.SetVerdict(VerdictTestsFailed, reason)
	default:
		r.SetVerdict(VerdictReproduced, "same manifest digest, and every smoke test that ran passed")
	}
}

// WriteJSON writes the report as indented JSON, with the smoke report
// (schema macabox.smoke/v1) embedded under "smoke".
func (r *Report) WriteJSON(w io.Writer) error {
	type alias Report
	out := struct {
		*alias
		DurationSeconds float64         `json:"durationSeconds"`
		Smoke           json.RawMessage `json:"smoke,omitempty"`
	}{alias: (*alias)(r), DurationSeconds: r.Duration.Seconds()}
	if r.Smoke != nil {
		var b bytes.Buffer
		if err := smoke.WriteJSON(&b, r.Smoke); err != nil {
			return err
		}
		out.Smoke = json.RawMessage(bytes.TrimSpace(b.Bytes()))
	}
	data, err := escape.MarshalJSON(out)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// WriteMarkdown writes the report for a pull request comment.
func (r *Report) WriteMarkdown(w io.Writer) error {
	data, err := render("reproduce.md", r)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// WriteText writes a short summary for a terminal or a text file. Every
// value is printed through escape.Fprintf: names, reasons and messages
// from the bundle show as text, never as escape sequences or extra lines.
func (r *Report) WriteText(w io.Writer) error {
	p := func(format string, args ...any) { escape.Fprintf(w, format, args...) }
	p("%s: %s\n", r.Verdict, r.Reason)
	if r.Expected.ManifestDigest != "" {
		p("  recorded %s (BuildKit %s)\n", r.Expected.ManifestDigest, r.Expected.BuildKit.Release())
	}
	if r.Actual.ManifestDigest != "" {
		p("  rebuilt  %s (BuildKit %s)\n", r.Actual.ManifestDigest, r.Actual.BuildKit.Version)
	}
	for _, pr := range r.Verify.Problems {
		p("  %s\n", pr)
	}
	if r.Verify.Omitted > 0 {
		p("  … and %d more problem(s)\n", r.Verify.Omitted)
	}
	if x := r.Explanation; x != nil {
		for _, f := range x.Files {
			p("  %s: %s\n", f.Path, f.Change)
		}
		if x.FileCount > len(x.Files) {
			p("  … and %d more file(s)\n", x.FileCount-len(x.Files))
		}
		for _, c := range x.Config {
			p("  config %s\n", c)
		}
	}
	if r.Smoke != nil {
		s := r.Smoke.Summary()
		p("  smoke tests: %d passed, %d failed, %d errors, %d skipped of %d\n", s.Passed, s.Failed, s.Errors, s.Skipped, s.Total)
	}
	return nil
}
