package builder

import (
	"strings"
	"testing"
)

var hex64 = strings.Repeat("ab", 32)

// TestValidateRequestReadsRefsAndPlatforms: tags, base names and the
// platform are read as BuildKit reads them, before any work starts.
func TestValidateRequestReadsRefsAndPlatforms(t *testing.T) {
	df := []byte("FROM scratch\n")
	ok := Request{
		Dockerfile: df,
		Tags:       []string{"[::1]:5000/app:1", "app"},
		Platform:   "linux/x86_64",
		Contexts:   map[string]NamedContext{"docker.io/library/debian:latest": {Image: "debian@sha256:" + hex64}},
	}
	if err := validateRequest(ok); err != nil {
		t.Errorf("valid request refused: %v", err)
	}
	bad := Request{
		Dockerfile: df,
		Tags:       []string{"Not A Tag"},
		Platform:   "amd64",
		Contexts:   map[string]NamedContext{"Debian": {Image: "debian:12"}},
	}
	if err := errorContains(validateRequest(bad), `tag: image reference "Not A Tag"`, `platform "amd64"`, `base: image reference "Debian"`); err != nil {
		t.Error(err)
	}
}

// TestNamedContextKey: a base is sent under the name the Dockerfile
// frontend looks the FROM image up by, whatever spelling the FROM uses.
func TestNamedContextKey(t *testing.T) {
	for name, want := range map[string]string{
		"docker.io/library/debian:latest": "debian",
		"debian:latest":                   "debian",
		"debian:12":                       "debian:12",
		"docker.io/user/app:1":            "user/app:1",
		"macabox.test/maca-sim:3.0.0.5":   "macabox.test/maca-sim:3.0.0.5",
		"maca":                            "maca",
	} {
		if got := namedContextKey(name); got != want {
			t.Errorf("namedContextKey(%q) = %q, want %q", name, got, want)
		}
	}
}
