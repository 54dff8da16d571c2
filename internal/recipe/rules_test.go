package recipe

import (
	"errors"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
)

// testRules are the rules macabox validates recipes with.
var testRules = Rules{Size: device.ParseSize}

func shmProblems(t *testing.T, value string, r Rules) []string {
	t.Helper()
	src := "apiVersion: macabox/v1\nkind: Image\nname: shm\nfrom: debian:12\nruntime: {shmSize: \"" + value + "\"}\n"
	docs, err := Load("shm.yaml", []byte(src))
	if err != nil {
		t.Fatalf("loading shmSize %q: %v", value, err)
	}
	var out []string
	for _, e := range Validate(&Set{Docs: docs}, r) {
		if e.Field == "shmSize" {
			out = append(out, e.Error())
		}
	}
	return out
}

// TestShmSizeAsDockerReadsIt: runtime.shmSize takes what docker run
// --shm-size takes (fractions, a space before the unit, petabytes) and
// refuses the rest, at the value's position.
func TestShmSizeAsDockerReadsIt(t *testing.T) {
	for value, ok := range map[string]bool{
		"8g": true, "16G": true, "512MiB": true, "1.5g": true, "8 g": true, "2p": true, "8388608": true,
		"lots": false, "8x": false, "-1g": false, "8gg": false, "": false,
	} {
		probs := shmProblems(t, value, testRules)
		if ok && len(probs) > 0 {
			t.Errorf("shmSize %q refused: %v", value, probs)
		}
		if !ok && (len(probs) != 1 || !strings.HasPrefix(probs[0], "shm.yaml:5:20: ")) {
			t.Errorf("shmSize %q: problems %q, want one at shm.yaml:5:20", value, probs)
		}
	}
}

// TestRulesDecideSizes: the size rule is the one Validate is given, not one
// of its own.
func TestRulesDecideSizes(t *testing.T) {
	refuseAll := Rules{Size: func(string) (int64, error) { return 0, errors.New("no sizes today") }}
	if probs := shmProblems(t, "8g", refuseAll); len(probs) != 1 {
		t.Errorf("a rule refusing every size left %q", probs)
	}
}
