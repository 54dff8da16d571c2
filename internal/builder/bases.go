package builder

import (
	"fmt"
	"path/filepath"
	"strings"
)

// ParseBase reads --base REF=SOURCE, where SOURCE is
// oci-layout://DIR@sha256:HEX or docker-image://REF.
func ParseBase(s string) (string, NamedContext, error) {
	ref, src, ok := strings.Cut(s, "=")
	if !ok || ref == "" || src == "" {
		return "", NamedContext{}, fmt.Errorf("--base %q: want REF=oci-layout://DIR@sha256:... or REF=docker-image://REF", s)
	}
	switch {
	case strings.HasPrefix(src, "oci-layout://"):
		dir, dgst, ok := strings.Cut(strings.TrimPrefix(src, "oci-layout://"), "@")
		if !ok || !strings.HasPrefix(dgst, "sha256:") || len(dgst) != len("sha256:")+64 {
			return "", NamedContext{}, fmt.Errorf("--base %q: an OCI layout is addressed by digest: oci-layout://DIR@sha256:<64 hex>", s)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", NamedContext{}, err
		}
		return ref, NamedContext{OCILayout: abs, Digest: dgst}, nil
	case strings.HasPrefix(src, "docker-image://"):
		return ref, NamedContext{Image: strings.TrimPrefix(src, "docker-image://")}, nil
	}
	return "", NamedContext{}, fmt.Errorf("--base %q: unknown source; use oci-layout://DIR@sha256:... or docker-image://REF", s)
}
