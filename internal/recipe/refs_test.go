package recipe

import (
	"slices"
	"testing"
)

func TestExpandRefs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"plain", nil},
		{"${A}", []string{"A"}},
		{"x-${A}_${b_2}/y", []string{"A", "b_2"}},
		{"$${A}", nil},
		{"$$$${A}", nil},
		{"$$${A}", []string{"A"}},
		{"cost $$5", nil},
		{"cost $5", nil},
		{"$basearch/$", nil},
		{"$(cmd) ${A}", []string{"A"}},
	}
	for _, tt := range tests {
		refs, err := ExpandRefs(tt.in)
		if err != nil {
			t.Errorf("ExpandRefs(%q): %v", tt.in, err)
			continue
		}
		var names []string
		for _, r := range refs {
			names = append(names, r.Name)
			if got := tt.in[r.Start:r.End]; got != "${"+r.Name+"}" {
				t.Errorf("ExpandRefs(%q): offsets give %q", tt.in, got)
			}
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("ExpandRefs(%q) = %v, want %v", tt.in, names, tt.want)
		}
	}
	for _, bad := range []string{"${", "${A", "${}", "${1A}", "${A:-b}", "x${A-b}", "${A}${"} {
		if _, err := ExpandRefs(bad); err == nil {
			t.Errorf("ExpandRefs(%q) succeeded", bad)
		}
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"V": "1.2", "D": "$HOME"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	tests := map[string]string{
		"pkg==${V}":     "pkg==1.2",
		"$$${V}$$":      "$1.2$",
		"${D}/x":        "$HOME/x",
		"$$${V}-${V}$$": "$1.2-1.2$",
		"$arch/$$$":     "$arch/$$",
	}
	for in, want := range tests {
		got, err := Expand(in, lookup)
		if err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := Expand("${NOPE}", lookup); err == nil {
		t.Error("Expand of an unknown name succeeded")
	}
}
