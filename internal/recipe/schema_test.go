package recipe

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// TestGeneratedDocsUpToDate fails when docs/reference differs from what the
// code generates.
func TestGeneratedDocsUpToDate(t *testing.T) {
	schema, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := FormatReference()
	if err != nil {
		t.Fatal(err)
	}
	lockSchema, err := LockSchema()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{SchemaFile: schema, ReferenceFile: ref, LockSchemaFile: lockSchema, LockReferenceFile: LockReference()} {
		path := filepath.Join("..", "..", "docs", "reference", name)
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("docs/reference/%s is out of date with internal/recipe: run make generate", name)
		}
	}
}

func TestJSONSchemaDeterministic(t *testing.T) {
	a, _ := JSONSchema()
	b, _ := JSONSchema()
	if !bytes.Equal(a, b) {
		t.Error("two runs gave different schemas")
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the generated schema does not compile: %v", err)
	}
	return s
}

// yamlDocs converts each document of a YAML file to the JSON value an editor
// would check against the schema.
func yamlDocs(t *testing.T, data []byte) []any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if v == nil {
			continue
		}
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, doc)
	}
}

func TestSchemaAcceptsValidRecipes(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no valid recipes")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range yamlDocs(t, data) {
			if err := s.Validate(doc); err != nil {
				t.Errorf("%s document %d: %v", f, i+1, err)
			}
		}
	}
}

func TestSchemaRejectsInvalidRecipes(t *testing.T) {
	s := compileSchema(t)
	head := "apiVersion: macabox/v1\nkind: Layer\nname: x\n"
	cases := map[string]string{
		"unknown key":        head + "steps: [{run: x}]\nbsae: y\n",
		"missing steps":      head,
		"two step kinds":     head + "steps: [{run: x, apt: [y]}]\n",
		"no step kind":       head + "steps: [{source: x}]\n",
		"bad enum":           head + "steps: [{run: {script: x, network: hots}}]\n",
		"number for string":  head + "steps: [{run: x}]\nrequires: {maca: 3.0}\n",
		"apt as string":      head + "steps: [{apt: curl}]\n",
		"bad kind":           "apiVersion: macabox/v1\nkind: Imgae\nname: x\nfrom: y\n",
		"bad version":        "apiVersion: macabox/v2\nkind: Image\nname: x\nfrom: y\n",
		"image with steps":   "apiVersion: macabox/v1\nkind: Image\nname: x\nfrom: y\nlayers: [a]\n",
		"bad duration":       head + "steps: [{run: x}]\nsmoke: [{name: t, run: x, timeout: soon}]\n",
		"two test kinds":     head + "steps: [{run: x}]\nsmoke: [{name: t, run: x, file: /y}]\n",
		"ready without kind": head + "steps: [{run: x}]\nsmoke: [{name: t, service: {run: x, ready: {}}}]\n",
		"nested env":         head + "steps: [{env: {A: {b: c}}}]\n",
	}
	for name, src := range cases {
		for _, doc := range yamlDocs(t, []byte(src)) {
			if err := s.Validate(doc); err == nil {
				t.Errorf("%s: the schema accepts\n%s", name, src)
			}
		}
		docs, err := Load("x.yaml", []byte(src))
		if err == nil && Validate(&Set{Docs: docs}, testRules) == nil {
			t.Errorf("%s: loading and validation accept\n%s", name, src)
		}
	}
}

// TestReferenceExamplesValidate loads the YAML examples of the format
// reference as one tree and validates them.
func TestReferenceExamplesValidate(t *testing.T) {
	ref, err := FormatReference()
	if err != nil {
		t.Fatal(err)
	}
	var docs []*Document
	blocks := strings.Split(string(ref), "```yaml\n")[1:]
	if len(blocks) == 0 {
		t.Fatal("no examples in the reference")
	}
	for i, b := range blocks {
		src, _, _ := strings.Cut(b, "```")
		d, err := Load("example"+strings.Repeat("'", i)+".yaml", []byte(src))
		if err != nil {
			t.Fatalf("example %d: %v", i+1, err)
		}
		docs = append(docs, d...)
	}
	if errs := Validate(&Set{Docs: docs}, testRules); errs != nil {
		t.Fatalf("examples do not validate:\n%v", errs)
	}
}
