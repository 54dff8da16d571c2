package imageref

import (
	"fmt"
	"strings"

	"github.com/containerd/platforms"
)

// Platform is an OCI platform: OS, architecture and variant.
type Platform = platforms.Platform

// ParsePlatform reads "os/arch[/variant]" as BuildKit reads --platform, and
// normalises it the same way (linux/x86_64 is linux/amd64, linux/aarch64 is
// linux/arm64). The OS and the architecture must both be given: a part left
// out would default to this machine's, and an image's platform must not
// depend on where it is built.
func ParsePlatform(s string) (Platform, error) {
	if n := strings.Count(s, "/"); n < 1 || n > 2 {
		return Platform{}, fmt.Errorf("platform %q: want os/arch or os/arch/variant, such as linux/amd64", s)
	}
	p, err := platforms.Parse(s)
	if err != nil {
		return Platform{}, fmt.Errorf("platform %q: %w", s, err)
	}
	if p.OSVersion != "" || len(p.OSFeatures) > 0 {
		return Platform{}, fmt.Errorf("platform %q: an OS version or OS features cannot be given", s)
	}
	return p, nil
}

// FormatPlatform writes p as os/arch[/variant].
func FormatPlatform(p Platform) string { return platforms.Format(p) }

// NormalizePlatform parses s with ParsePlatform and writes it back in
// normal form.
func NormalizePlatform(s string) (string, error) {
	p, err := ParsePlatform(s)
	if err != nil {
		return "", err
	}
	return FormatPlatform(p), nil
}
