package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// TestsSchema names the shape of tests.json.
const TestsSchema = "macabox.tests/v1"

// testsFile is tests.json: the smoke tests of the bundle's image, so that
// reproduce runs them without the recipes. It holds the tests exactly as the
// runners take them (after argument substitution), each with the recipe
// line it came from.
type testsFile struct {
	Schema string `json:"schema"`
	Target string `json:"target"`
	// Simulated is the simulated-base notice, on bundles that need one.
	Simulated string       `json:"simulated,omitempty"`
	Tests     []smoke.Test `json:"tests"`
}

// encodeTests writes tests.json; simulated is the notice of a bundle built
// on a simulated base, or "".
func encodeTests(target, simulated string, tests []smoke.Test) ([]byte, error) {
	if tests == nil {
		tests = []smoke.Test{}
	}
	return escape.MarshalJSON(testsFile{Schema: TestsSchema, Target: target, Simulated: simulated, Tests: tests})
}

// decodeTests reads tests.json back.
func decodeTests(data []byte) (string, []smoke.Test, error) {
	var f testsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return "", nil, fmt.Errorf("tests.json: %w", err)
	}
	if f.Schema != TestsSchema {
		return "", nil, fmt.Errorf("tests.json: schema %q, this macabox reads %q", f.Schema, TestsSchema)
	}
	for i, t := range f.Tests {
		if t.Name == "" {
			return "", nil, fmt.Errorf("tests.json: test %d has no name", i+1)
		}
		if smoke.KindOf(t) == "" {
			return "", nil, fmt.Errorf("tests.json: test %q has none of run, file, variable or service", t.Name)
		}
	}
	return f.Target, f.Tests, nil
}
