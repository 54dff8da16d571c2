package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// TestsSchema names the shape of tests.json.
const TestsSchema = "macabox.tests/v1"

// testsFile is tests.json: the smoke tests of the bundle's image, so that
// reproduce runs them without the recipes. It holds the tests as written
// (after argument substitution), each with the recipe line it came from.
type testsFile struct {
	Schema string `json:"schema"`
	Target string `json:"target"`
	// Simulated is the simulated-base notice, on bundles that need one.
	Simulated string     `json:"simulated,omitempty"`
	Tests     []testSpec `json:"tests"`
}

// testSpec mirrors recipe.Test without positions; Origin keeps the one
// position reports show.
type testSpec struct {
	Name     string       `json:"name"`
	Origin   string       `json:"origin,omitempty"`
	Recipe   string       `json:"recipe,omitempty"`
	Run      string       `json:"run,omitempty"`
	File     string       `json:"file,omitempty"`
	Variable string       `json:"variable,omitempty"`
	Service  *serviceSpec `json:"service,omitempty"`
	Probe    string       `json:"probe,omitempty"`
	Expect   *expectSpec  `json:"expect,omitempty"`
	Needs    []string     `json:"needs,omitempty"`
	Timeout  string       `json:"timeout,omitempty"`
	Env      []envSpec    `json:"env,omitempty"`
}

type serviceSpec struct {
	Run     string `json:"run"`
	TCP     int    `json:"readyTcp,omitempty"`
	HTTP    string `json:"readyHttp,omitempty"`
	Timeout string `json:"timeout,omitempty"`
}

type expectSpec struct {
	Exit      *int     `json:"exit,omitempty"`
	Stdout    string   `json:"stdout,omitempty"`
	Stderr    string   `json:"stderr,omitempty"`
	NotStdout string   `json:"notStdout,omitempty"`
	NotStderr string   `json:"notStderr,omitempty"`
	Files     []string `json:"files,omitempty"`
	Exists    *bool    `json:"exists,omitempty"`
	Mode      string   `json:"mode,omitempty"`
	Content   string   `json:"content,omitempty"`
	Value     string   `json:"value,omitempty"`
}

type envSpec struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// encodeTests writes tests.json for cases; simulated is the notice of a
// bundle built on a simulated base, or "".
func encodeTests(target, simulated string, cases []smoke.Case) ([]byte, error) {
	f := testsFile{Schema: TestsSchema, Target: target, Simulated: simulated, Tests: make([]testSpec, 0, len(cases))}
	for _, c := range cases {
		f.Tests = append(f.Tests, specOf(c))
	}
	return marshalJSON(f)
}

// decodeTests reads tests.json back into smoke cases.
func decodeTests(data []byte) (string, []smoke.Case, error) {
	var f testsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return "", nil, fmt.Errorf("tests.json: %w", err)
	}
	if f.Schema != TestsSchema {
		return "", nil, fmt.Errorf("tests.json: schema %q, this macabox reads %q", f.Schema, TestsSchema)
	}
	cases := make([]smoke.Case, 0, len(f.Tests))
	for i, s := range f.Tests {
		if s.Name == "" {
			return "", nil, fmt.Errorf("tests.json: test %d has no name", i+1)
		}
		c := smoke.Case{Test: s.test(), Origin: s.Origin, Recipe: s.Recipe}
		if smoke.KindOf(c.Test) == "" {
			return "", nil, fmt.Errorf("tests.json: test %q has none of run, file, variable or service", s.Name)
		}
		cases = append(cases, c)
	}
	return f.Target, cases, nil
}

func specOf(c smoke.Case) testSpec {
	t := c.Test
	s := testSpec{
		Name: t.Name.Value, Origin: c.Where(), Recipe: c.Recipe,
		Run: t.Run.Value, File: t.File.Value, Variable: t.Variable.Value,
		Probe: t.Probe.Value, Timeout: t.Timeout.Value,
	}
	if t.Service != nil {
		s.Service = &serviceSpec{Run: t.Service.Run.Value, Timeout: t.Service.Timeout.Value}
		if r := t.Service.Ready; r != nil {
			s.Service.TCP, s.Service.HTTP = r.TCP.Value, r.HTTP.Value
		}
	}
	if e := t.Expect; e != nil {
		s.Expect = &expectSpec{
			Stdout: e.Stdout.Value, Stderr: e.Stderr.Value,
			NotStdout: e.NotStdout.Value, NotStderr: e.NotStderr.Value,
			Mode: e.Mode.Value, Content: e.Content.Value, Value: e.Value.Value,
			Files: values(e.Files),
		}
		if e.Exit != nil {
			s.Expect.Exit = &e.Exit.Value
		}
		if e.Exists != nil {
			s.Expect.Exists = &e.Exists.Value
		}
	}
	s.Needs = values(t.Needs)
	for _, kv := range t.Env {
		s.Env = append(s.Env, envSpec{Name: kv.Key.Value, Value: kv.Value.Value})
	}
	return s
}

func (s testSpec) test() recipe.Test {
	t := recipe.Test{
		Name: str(s.Name), Run: str(s.Run), File: str(s.File), Variable: str(s.Variable),
		Probe: str(s.Probe), Timeout: recipe.Duration{Value: s.Timeout},
		Needs: strs(s.Needs),
	}
	if s.Service != nil {
		t.Service = &recipe.Service{
			Run:     str(s.Service.Run),
			Ready:   &recipe.Ready{TCP: recipe.Int{Value: s.Service.TCP}, HTTP: str(s.Service.HTTP)},
			Timeout: recipe.Duration{Value: s.Service.Timeout},
		}
	}
	if e := s.Expect; e != nil {
		t.Expect = &recipe.Expect{
			Stdout: str(e.Stdout), Stderr: str(e.Stderr),
			NotStdout: str(e.NotStdout), NotStderr: str(e.NotStderr),
			Files: strs(e.Files), Mode: str(e.Mode), Content: str(e.Content), Value: str(e.Value),
		}
		if e.Exit != nil {
			t.Expect.Exit = &recipe.Int{Value: *e.Exit}
		}
		if e.Exists != nil {
			t.Expect.Exists = &recipe.Bool{Value: *e.Exists}
		}
	}
	for _, kv := range s.Env {
		t.Env = append(t.Env, recipe.KV{Key: str(kv.Name), Value: str(kv.Value)})
	}
	return t
}

func str(s string) recipe.Str { return recipe.Str{Value: s} }

func strs(list []string) []recipe.Str {
	if len(list) == 0 {
		return nil
	}
	out := make([]recipe.Str, len(list))
	for i, s := range list {
		out[i] = str(s)
	}
	return out
}

func values(list []recipe.Str) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Value
	}
	return out
}

// marshalJSON is the one JSON form bundles use: indented, no HTML escaping
// (patterns hold < and >), a final newline.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
