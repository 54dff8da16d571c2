package device_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
)

func TestParseGPUs(t *testing.T) {
	tests := []struct {
		in      string
		all     bool
		indices []int
		str     string
	}{
		{"all", true, nil, "all"},
		{"1", false, []int{1}, "1"},
		{"2, 0,2", false, []int{0, 2}, "0,2"},
	}
	for _, tt := range tests {
		g, err := device.ParseGPUs(tt.in)
		if err != nil {
			t.Errorf("ParseGPUs(%q): %v", tt.in, err)
			continue
		}
		if g.All() != tt.all || !reflect.DeepEqual(g.Indices(), tt.indices) || g.String() != tt.str {
			t.Errorf("ParseGPUs(%q) = all %v, %v, %q; want %v, %v, %q",
				tt.in, g.All(), g.Indices(), g.String(), tt.all, tt.indices, tt.str)
		}
	}
	for _, bad := range []string{"x", "0,,1", "-1", "0,all", "1.5"} {
		if _, err := device.ParseGPUs(bad); err == nil || !strings.Contains(err.Error(), "is not a GPU index") {
			t.Errorf("ParseGPUs(%q) = %v, want an error", bad, err)
		}
	}
}

func TestGPUSelectionAsFlagValue(t *testing.T) {
	var g device.GPUSelection
	if !g.All() || g.String() != "all" || g.Type() != "gpus" {
		t.Errorf("zero value = %q, want all", g.String())
	}
	if err := g.Set("3,1"); err != nil || g.String() != "1,3" {
		t.Errorf("Set(3,1) = %v, %q", err, g.String())
	}
	if err := g.Set("nope"); err == nil || g.String() != "1,3" {
		t.Errorf("Set(nope) = %v and left %q; want an error and no change", err, g.String())
	}
}
