package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/compare"
	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/replacefile"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// ReferenceSchema names the shape of a reference file. It changes only when
// a field is removed or changes meaning.
const ReferenceSchema = "macabox.reference/v1"

// RefsDir is the folder, beside a target's recipe, that holds its
// references: refs/<target>/<test>.json.
const RefsDir = "refs"

// Reference is one test's result on the reference platform: what a compare
// test captured, or a bench test's samples, with their provenance. It is a
// file beside the recipe, committed with it, so that the MACA side compares
// against the same record on every run.
type Reference struct {
	Schema string `json:"schema"`
	Target string `json:"target"`
	Test   string `json:"test"`
	// Origin is "file:line" of the test in its recipe when it was recorded.
	Origin  string `json:"origin,omitempty"`
	Command string `json:"command"`
	// Compare and Bench are the test's blocks as they were when recorded.
	Compare *smoke.Compare `json:"compare,omitempty"`
	// Output is what a compare test captured.
	Output *string `json:"output,omitempty"`
	// Bench is what a bench test measured.
	Bench      *BenchRecord `json:"bench,omitempty"`
	Provenance Provenance   `json:"provenance"`
}

// BenchRecord is a benchmark as recorded: its runs and every metric's
// samples and statistics.
type BenchRecord struct {
	Warmup  int            `json:"warmup"`
	Repeat  int            `json:"repeat"`
	Metrics []MetricRecord `json:"metrics"`
}

// MetricRecord is one metric of a recorded benchmark.
type MetricRecord struct {
	Name    string        `json:"name"`
	Unit    string        `json:"unit,omitempty"`
	Samples []float64     `json:"samples"`
	Stats   compare.Stats `json:"stats"`
}

// Provenance is where and how a result was produced: enough for someone
// else to produce it again, and to know what it is worth beside another.
type Provenance struct {
	// Image is the reference the test container ran; ImageID its ID (the
	// digest of its config) and RepoDigests its registry digests.
	Image       string   `json:"image"`
	ImageID     string   `json:"imageId"`
	RepoDigests []string `json:"repoDigests,omitempty"`
	// Device is the device profile and what the container saw through it.
	Device   Device         `json:"device"`
	Platform smoke.Platform `json:"platform"`
	// Host are the host's facts as doctor finds them (Docker, driver,
	// MACA, limits, cgroup), by name; no paths of the host.
	Host map[string]string `json:"host"`
	// Recorded is when, in UTC; Macabox the version that recorded it.
	Recorded time.Time `json:"recorded"`
	Macabox  string    `json:"macabox,omitempty"`
}

// Device is the device side of a provenance.
type Device struct {
	// Profile is the resolved profile: maca, nvidia or none.
	Profile string `json:"profile"`
	// Model and Driver are what the container saw (nvidia-smi, mx-smi).
	Model  string `json:"model,omitempty"`
	Driver string `json:"driver,omitempty"`
	GPUs   int    `json:"gpus,omitempty"`
}

// NewProvenance describes a run from its report and the device profile it
// used.
func NewProvenance(rep *smoke.Report, profile string, version string, now time.Time) Provenance {
	return Provenance{
		Image: rep.Image, ImageID: rep.ImageID, RepoDigests: rep.RepoDigests,
		Device:   Device{Profile: profile, Model: rep.Platform.Accelerator, Driver: rep.Platform.Driver, GPUs: rep.Platform.GPUs},
		Platform: rep.Platform, Host: rep.Host, Recorded: now.UTC().Truncate(time.Second), Macabox: version,
	}
}

// Source is the provenance in one line, for reports.
func (p Provenance) Source() string {
	id := strings.TrimPrefix(p.ImageID, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	s := p.Image
	if id != "" {
		s += " (" + id + ")"
	}
	if pl := p.Platform.String(); pl != "" {
		s += " on " + pl
	}
	s += ", device " + p.Device.Profile
	if !p.Recorded.IsZero() {
		s += ", recorded " + p.Recorded.Format("2006-01-02")
	}
	return s
}

// NewReference makes the reference of one test from its result in a
// recording run. Only a passed result is a reference: a failed run records
// nothing a port should match.
func NewReference(target string, t smoke.Test, res smoke.Result, prov Provenance) (*Reference, error) {
	if res.Status != smoke.StatusPassed {
		return nil, fmt.Errorf("test %q did not pass on the reference (%s): %s", t.Name, res.Status, res.Message)
	}
	r := &Reference{
		Schema: ReferenceSchema, Target: target, Test: t.Name, Origin: t.Origin, Command: t.Run,
		Compare: t.Compare, Provenance: prov,
	}
	if t.Compare != nil {
		if res.Captured == nil {
			return nil, fmt.Errorf("test %q captured nothing", t.Name)
		}
		out := *res.Captured
		r.Output = &out
	}
	if b := res.Bench; b != nil {
		r.Bench = &BenchRecord{Warmup: b.Warmup, Repeat: b.Repeat}
		for _, m := range b.Metrics {
			r.Bench.Metrics = append(r.Bench.Metrics, MetricRecord{Name: m.Name, Unit: m.Unit, Samples: m.Samples, Stats: m.Stats})
		}
	}
	return r, nil
}

// Marshal is the reference file's content: indented JSON, keys in a fixed
// order, a final newline, so that a recorded file diffs well in review.
func (r *Reference) Marshal() ([]byte, error) { return escape.MarshalJSON(r) }

// ParseReference reads a reference file's content.
func ParseReference(data []byte) (*Reference, error) {
	var r Reference
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	if r.Schema != ReferenceSchema {
		return nil, fmt.Errorf("schema %q, this macabox reads %q", r.Schema, ReferenceSchema)
	}
	if r.Test == "" {
		return nil, errors.New("it names no test")
	}
	return &r, nil
}

// ReadReference reads a reference file.
func ReadReference(path string) (*Reference, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := ParseReference(data)
	if err != nil {
		return nil, fmt.Errorf("reference %s: %w", path, err)
	}
	return r, nil
}

// Smoke is the reference as a test is judged against it.
func (r *Reference) Smoke() *smoke.Reference {
	s := &smoke.Reference{Source: r.Provenance.Source()}
	if r.Output != nil {
		s.Output, s.HasOutput = *r.Output, true
	}
	if r.Bench != nil {
		s.Metrics = map[string]compare.Stats{}
		for _, m := range r.Bench.Metrics {
			s.Metrics[m.Name] = m.Stats
		}
	}
	return s
}

// ReferenceDir is where the references of the target defined in
// recipeFile live: refs/<target> beside it.
func ReferenceDir(recipeFile, target string) string {
	return filepath.Join(filepath.Dir(recipeFile), RefsDir, target)
}

// FileName is a test's reference file name: the test's name in lower-case
// letters, digits and dashes, with a short hash of the whole name when that
// drops anything, so that two names never share a file.
func FileName(test string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(test) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	slug := b.String()
	if len(slug) > 60 {
		slug = slug[:60]
	}
	if slug != strings.ToLower(test) {
		sum := sha256.Sum256([]byte(test))
		if slug != "" {
			slug += "-"
		}
		slug += hex.EncodeToString(sum[:4])
	}
	return slug + ".json"
}

// WriteReference writes r into dir (made when missing) under its test's
// file name, replacing an older record whole, and returns the file's path.
func WriteReference(dir string, r *Reference) (string, error) {
	data, err := r.Marshal()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, FileName(r.Test))
	return path, replacefile.Write(path, data, 0o644)
}
