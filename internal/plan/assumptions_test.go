package plan

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAssumptions checks that every unverified mark of the recipes a plan
// builds is listed with the value the build uses, and that a mark on an arg
// whose value a later recipe or --set replaces is dropped with it.
func TestAssumptions(t *testing.T) {
	set := loadCase(t, "unverified")
	p, err := New(set, "tool-assumed", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Assumptions {
		got = append(got, a.Recipe+" "+a.Subject+" = "+a.Value)
	}
	want := []string{
		"assumed-base from = example.org/maca/base:3.0",
		"assumed-base torch = 2.6.0+metax3.0.0.3",
		"assumed-base arg BRIDGE_REF = 3.0.0",
		"assumed-base dnf step = maca_sdk-3.0.0.5*",
		"tool arg TOOL_VERSION = 1.0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("assumptions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if a := p.Assumptions[0]; a.Pos.File != "images/base.yaml" || a.Pos.Line != 13 || !strings.Contains(a.String(), "the tag follows the pattern") {
		t.Errorf("first assumption is %s at %+v", a, a.Pos)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"assumptions":[{"recipe":"assumed-base"`) {
		t.Errorf("the plan JSON does not list the assumptions: %s", data)
	}

	p, err = New(set, "tool-assumed", Options{Args: map[string]string{"TOOL_VERSION": "2.0"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range p.Assumptions {
		if a.Subject == "arg TOOL_VERSION" {
			t.Errorf("--set TOOL_VERSION=2.0 kept the mark on the default: %s", a)
		}
	}
}
