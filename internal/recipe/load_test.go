package recipe

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadMultiDocument(t *testing.T) {
	src := `---
apiVersion: macabox/v1
kind: Image
name: base
from: scratch
---
# an empty document is skipped
---
apiVersion: macabox/v1
kind: Layer
name: app
steps:
  - run: echo hi
  - apt: [curl, ca-certificates]
  - pip: [numpy]
---
apiVersion: macabox/v1
kind: Stack
name: app-on-base
base: base
layers: [app]
`
	docs, err := Load("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 {
		t.Fatalf("got %d documents, want 3", len(docs))
	}
	if docs[0].Image == nil || docs[1].Layer == nil || docs[2].Stack == nil {
		t.Fatalf("kinds: %v %v %v", docs[0].Kind(), docs[1].Kind(), docs[2].Kind())
	}
	steps := docs[1].Layer.Steps
	if got := steps[0].Run.Script; got.Value != "echo hi" || got.Pos.String() != "x.yaml:13:10" {
		t.Errorf("run shorthand: %+v", got)
	}
	if got := steps[1].Apt.Packages; len(got) != 2 || got[1].Value != "ca-certificates" || got[1].Pos.Line != 14 {
		t.Errorf("apt shorthand: %+v", got)
	}
	if got := steps[2].Pos; got.Line != 15 || got.Col != 5 {
		t.Errorf("step position: %v", got)
	}
	if docs[2].Stack.Layers[0].Value != "app" {
		t.Errorf("stack layers: %+v", docs[2].Stack.Layers)
	}
}

func TestLoadReturnsErrors(t *testing.T) {
	_, err := Load("x.yaml", []byte("apiVersion: macabox/v1\nkind: Stack\nname: s\nbsae: b\n"))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %T %v, want Errors", err, err)
	}
	want := `x.yaml:1:1: field "base": missing required field
x.yaml:4:1: field "bsae": unknown field; did you mean "base"?`
	if got := err.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var b strings.Builder
	if err := errs.Print(&b); err != nil || b.String() != want+"\n" {
		t.Errorf("Print: %q, %v", b.String(), err)
	}
}
