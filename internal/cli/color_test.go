package cli

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/containerd/console"
)

// TestColorFor: colours only on a terminal, and not when NO_COLOR is set
// to a non-empty value.
func TestColorFor(t *testing.T) {
	master, slavePath, err := console.NewPty()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	term, err := os.OpenFile(slavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	env := func(noColor string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return noColor
			}
			return ""
		}
	}
	for _, tc := range []struct {
		w       io.Writer
		noColor string
		want    bool
	}{
		{term, "", true},
		{term, "1", false},
		{term, "false", false},
		{&bytes.Buffer{}, "", false},
	} {
		if got := colorFor(tc.w, env(tc.noColor)); got != tc.want {
			t.Errorf("colorFor(%T, NO_COLOR=%q) = %v, want %v", tc.w, tc.noColor, got, tc.want)
		}
	}
}
