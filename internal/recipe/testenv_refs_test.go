package recipe

import (
	"strings"
	"testing"
)

// A smoke test's env is passed to the container as it is: it may refer to
// arguments, which the planner substitutes, and not to the image's
// variables, which nothing would expand.
func TestTestEnvRefersToArgumentsOnly(t *testing.T) {
	src := `apiVersion: macabox/v1
kind: Image
name: base
from: scratch
args: {VER: "1.2"}
env: {HOME_DIR: /opt/app}
smoke:
  - name: args are fine
    run: 'test "$V" = 1.2'
    env: {V: "${VER}"}
  - name: an image variable is not
    run: "true"
    env: {P: "${HOME_DIR}/bin:${PATH}"}
`
	docs, err := Load("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	errs := Validate(&Set{Docs: docs}, testRules)
	want := `t.yaml:13:14: field "P": ${HOME_DIR} is a variable of the image, which a test's env cannot refer to`
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), want) {
		t.Errorf("problems:\n%v\nwant one starting:\n%s", errs, want)
	}
}
