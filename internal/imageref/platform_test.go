package imageref_test

import (
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
)

// TestPlatforms: platforms are normalised as BuildKit normalises them, and
// must name both the OS and the architecture.
func TestPlatforms(t *testing.T) {
	for in, want := range map[string]string{
		"linux/amd64":    "linux/amd64",
		"linux/x86_64":   "linux/amd64",
		"linux/aarch64":  "linux/arm64",
		"linux/arm64/v8": "linux/arm64/v8",
		"linux/arm/v7":   "linux/arm/v7",
		"Linux/AMD64":    "linux/amd64",
		"linux/riscv64":  "linux/riscv64",
	} {
		got, err := imageref.NormalizePlatform(in)
		if err != nil || got != want {
			t.Errorf("NormalizePlatform(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	p, err := imageref.ParsePlatform("linux/arm/v7")
	if err != nil || p.OS != "linux" || p.Architecture != "arm" || p.Variant != "v7" {
		t.Errorf("ParsePlatform(linux/arm/v7) = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "amd64", "linux", "linux/", "linux/amd64/", "linux/amd64/v2/x", "linux/*", "linux/am d64", "windows(10.0.17763)/amd64"} {
		if _, err := imageref.ParsePlatform(bad); err == nil {
			t.Errorf("ParsePlatform(%q) accepted", bad)
		}
	}
}
