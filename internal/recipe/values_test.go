package recipe

import (
	"strings"
	"testing"
)

// TestImageRefsFollowTheRegistryGrammar: from and tags take what docker
// and BuildKit take, IPv6 registries included, and refuse names the
// grammar refuses, such as a bare 64-digit hex string.
func TestImageRefsFollowTheRegistryGrammar(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	for _, ok := range []string{"scratch", "debian:12", "[::1]:5000/base:1", "127.0.0.1:5000/a/b", "x@sha256:" + hex} {
		if err := checkImageRef(ok); err != nil {
			t.Errorf("checkImageRef(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{hex, "Debian:12", "x@sha256:abc", "debian:12 ", "a/" + strings.Repeat("b", 300)} {
		if err := checkImageRef(bad); err == nil || !strings.Contains(err.Error(), "is not an image reference") {
			t.Errorf("checkImageRef(%q) = %v, want a refusal", bad, err)
		}
	}
}

// TestPlatformsAsBuildKitReadsThem: a platform names OS and architecture
// and may use the spellings BuildKit normalises.
func TestPlatformsAsBuildKitReadsThem(t *testing.T) {
	for _, ok := range []string{"linux/amd64", "linux/arm64/v8", "linux/x86_64"} {
		if err := checkPlatform(ok); err != nil {
			t.Errorf("checkPlatform(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"amd64", "linux", "linux/amd64/v2/x", "linux/*"} {
		if err := checkPlatform(bad); err == nil {
			t.Errorf("checkPlatform(%q) accepted", bad)
		}
	}
}
