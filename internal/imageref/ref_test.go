package imageref_test

import (
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseForms(t *testing.T) {
	tests := []struct {
		in, full, familiar, context, domain, digest, noDigest string
	}{
		{"debian:12", "docker.io/library/debian:12", "debian:12", "debian:12", "docker.io", "", "debian:12"},
		{"debian", "docker.io/library/debian", "debian", "debian", "docker.io", "", "debian"},
		{"docker.io/library/debian:latest", "docker.io/library/debian:latest", "debian:latest", "debian", "docker.io", "", "docker.io/library/debian:latest"},
		{"user/app:1", "docker.io/user/app:1", "user/app:1", "user/app:1", "docker.io", "", "user/app:1"},
		{"localhost/app", "localhost/app", "localhost/app", "localhost/app", "localhost", "", "localhost/app"},
		{"127.0.0.1:5000/a/b:1", "127.0.0.1:5000/a/b:1", "127.0.0.1:5000/a/b:1", "127.0.0.1:5000/a/b:1", "127.0.0.1:5000", "", "127.0.0.1:5000/a/b:1"},
		{"[::1]:5000/a", "[::1]:5000/a", "[::1]:5000/a", "[::1]:5000/a", "[::1]:5000", "", "[::1]:5000/a"},
		{"cr.metax-tech.com/maca/base:3.0@sha256:" + hex64, "cr.metax-tech.com/maca/base:3.0@sha256:" + hex64,
			"cr.metax-tech.com/maca/base:3.0@sha256:" + hex64, "cr.metax-tech.com/maca/base:3.0@sha256:" + hex64,
			"cr.metax-tech.com", "sha256:" + hex64, "cr.metax-tech.com/maca/base:3.0"},
		{"debian@sha256:" + hex64, "docker.io/library/debian@sha256:" + hex64, "debian@sha256:" + hex64,
			"debian@sha256:" + hex64, "docker.io", "sha256:" + hex64, "debian"},
	}
	for _, tt := range tests {
		r, err := imageref.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		got := []string{r.String(), r.Full(), r.Familiar(), r.ContextName(), r.Domain(), r.Digest(), r.WithoutDigest()}
		want := []string{tt.in, tt.full, tt.familiar, tt.context, tt.domain, tt.digest, tt.noDigest}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("Parse(%q): got %q, want %q", tt.in, got, want)
				break
			}
		}
	}
}

// TestParseGrammar: what the registry grammar accepts beyond a simple
// pattern (IPv6 hosts, upper case hosts) and what it refuses.
func TestParseGrammar(t *testing.T) {
	for _, ok := range []string{
		"[::1]:5000/a:1",
		"registry.example.com/repo:tag",
		"Registry.Example.com/repo",
		"a/b__c/d-e.f:T_1",
	} {
		if _, err := imageref.Parse(ok); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}
	for bad, why := range map[string]string{
		"Debian:Bookworm":                    "lowercase",
		"Not A Tag":                          "invalid reference format",
		hex64:                                "64-byte hexadecimal",
		"debian@sha256:abc":                  "",
		"debian:" + strings.Repeat("t", 129): "",
		"a/" + strings.Repeat("b", 260):      "",
		"":                                   "",
		"-a.com/x":                           "",
		"debian:12 ":                         "",
	} {
		_, err := imageref.Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q) accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "image reference") {
			t.Errorf("Parse(%q): %v; want it to say %q", bad, err, why)
		}
	}
}
