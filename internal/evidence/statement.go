package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	ita1 "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/ccf-ai-infra/macabox/internal/escape"
)

// StatementName is the in-toto statement's file in a bundle. It is the one
// file SHA256SUMS does not list, since it names SHA256SUMS's digest: a
// contributor who signs it signs the whole bundle.
const StatementName = "attestation.intoto.json"

// SumsSubject names the bundle's checksum list among the statement's
// subjects.
const SumsSubject = "SHA256SUMS"

// PredicateType identifies macabox's evidence predicate; the page it points
// at describes the fields.
const PredicateType = "https://github.com/ccf-ai-infra/macabox/blob/main/docs/comparing-with-a-reference.md#the-evidence-predicate"

// Predicate is what a bundle's statement asserts about its image: how it
// was made, and what it was tested and measured to do.
type Predicate struct {
	Target    string `json:"target"`
	Simulated bool   `json:"simulated,omitempty"`
	// RecipeInputs is the plan's inputs digest: the recipes, the context
	// files and the arguments the image was built from.
	RecipeInputs    string `json:"recipeInputs"`
	SourceDateEpoch int64  `json:"sourceDateEpoch"`
	BuildKit        string `json:"buildkit"`
	// Lock is the lock the build was pinned to; nil for an unlocked one.
	Lock *LockRecord `json:"lock"`
	// Tests is the contributor's last test report; nil when none was given.
	Tests *TestsRecord `json:"tests"`
	// Bench are the benchmark figures of that report.
	Bench []BenchFigure `json:"bench"`
	// References are the reference results the tests were compared with.
	References []ReferenceRecord `json:"references"`
	SBOM       FileRecord        `json:"sbom"`
}

// FileRecord names a file of the bundle by path and digest.
type FileRecord struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

// LockRecord is the lock of a locked build.
type LockRecord struct {
	FileRecord
	// Inputs is the inputs digest the lock was made from.
	Inputs string `json:"inputs"`
}

// TestsRecord is a test report's gist: which image it tested, on what, and
// how each test ended.
type TestsRecord struct {
	FileRecord
	ImageID  string         `json:"imageId"`
	Platform string         `json:"platform,omitempty"`
	OK       bool           `json:"ok"`
	Results  []TestOutcome  `json:"results"`
	Summary  map[string]int `json:"summary"`
}

// TestOutcome is one test's status.
type TestOutcome struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// BenchFigure is one benchmark metric with the reference's.
type BenchFigure struct {
	Test            string   `json:"test"`
	Metric          string   `json:"metric"`
	Unit            string   `json:"unit,omitempty"`
	Median          float64  `json:"median"`
	P95             float64  `json:"p95"`
	ReferenceMedian *float64 `json:"referenceMedian,omitempty"`
	Ratio           *float64 `json:"ratio,omitempty"`
}

// ReferenceRecord is one reference result the bundle carries.
type ReferenceRecord struct {
	FileRecord
	Test     string `json:"test"`
	Image    string `json:"image"`
	ImageID  string `json:"imageId"`
	Device   string `json:"device"`
	Recorded string `json:"recorded"`
}

// StatementInput is what a statement is made of.
type StatementInput struct {
	// Image is the image's name; ManifestDigest its digest.
	Image, ManifestDigest string
	// Sums is the bundle's SHA256SUMS.
	Sums      []byte
	Predicate Predicate
}

// Statement writes an unsigned in-toto statement (v1) whose subjects are
// the image and the bundle's SHA256SUMS, with the evidence predicate.
// The JSON is indented with sorted keys, so the same bundle always gets the
// same bytes.
func Statement(in StatementInput) ([]byte, error) {
	imageHex, ok := strings.CutPrefix(in.ManifestDigest, "sha256:")
	if !ok {
		return nil, fmt.Errorf("image digest %q is not a sha256 digest", in.ManifestDigest)
	}
	raw, err := json.Marshal(in.Predicate)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	pred, err := structpb.NewStruct(fields)
	if err != nil {
		return nil, fmt.Errorf("the evidence predicate: %w", err)
	}
	st := &ita1.Statement{
		Type: ita1.StatementTypeUri,
		Subject: []*ita1.ResourceDescriptor{
			{Name: in.Image, Digest: map[string]string{"sha256": imageHex}},
			{Name: SumsSubject, Digest: map[string]string{"sha256": sha256Hex(in.Sums)}},
		},
		PredicateType: PredicateType,
		Predicate:     pred,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("the in-toto statement: %w", err)
	}
	data, err := protojson.Marshal(st)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(data)
}

// Attested is what a statement says about a bundle, for verify.
type Attested struct {
	// Image and ImageDigest are the image subject's name and digest
	// ("sha256:..."); SumsSHA256 is SHA256SUMS's digest (hex).
	Image, ImageDigest, SumsSHA256 string
	Predicate                      Predicate
}

// ParseStatement reads a bundle's statement: an in-toto statement of
// macabox's predicate, with the image and SHA256SUMS as subjects.
func ParseStatement(data []byte) (*Attested, error) {
	var st ita1.Statement
	if err := protojson.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("not an in-toto statement: %w", err)
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("not a valid in-toto statement: %w", err)
	}
	if st.GetPredicateType() != PredicateType {
		return nil, fmt.Errorf("predicate type %q, not macabox's evidence", st.GetPredicateType())
	}
	a := &Attested{}
	for _, s := range st.GetSubject() {
		d := s.GetDigest()["sha256"]
		switch {
		case d == "":
		case s.GetName() == SumsSubject:
			a.SumsSHA256 = d
		case a.ImageDigest == "":
			a.Image, a.ImageDigest = s.GetName(), "sha256:"+d
		}
	}
	if a.ImageDigest == "" || a.SumsSHA256 == "" {
		return nil, errors.New("the statement does not name both the image and SHA256SUMS by sha256")
	}
	raw, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &a.Predicate); err != nil {
		return nil, fmt.Errorf("the evidence predicate: %w", err)
	}
	return a, nil
}

// canonicalJSON re-encodes JSON indented with sorted keys: protojson's
// whitespace is deliberately unstable between builds.
func canonicalJSON(data []byte) ([]byte, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return escape.MarshalJSON(v)
}

// SHA256 is the hex digest of data, as bundles name files.
func SHA256(data []byte) string { return sha256Hex(data) }

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
