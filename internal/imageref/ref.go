package imageref

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// Ref is an image reference: what it was written as, and the full name a
// registry client resolves it to (debian:12 is docker.io/library/debian:12).
type Ref struct {
	written reference.Named
	full    reference.Named
	text    string
}

// Parse reads s as docker pull and BuildKit's FROM do: [host[:port]/]path
// with lowercase path components, an optional :tag and an optional
// @sha256:digest. Other digest algorithms are refused: whether the
// grammar accepts them depends on which hashes the program happens to
// link, and registries, layouts and bundles all address by sha256.
func Parse(s string) (Ref, error) {
	full, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Ref{}, fmt.Errorf("image reference %q: %w", s, err)
	}
	if d, ok := full.(reference.Digested); ok && d.Digest().Algorithm() != "sha256" {
		return Ref{}, fmt.Errorf("image reference %q: pin it by a sha256 digest, not %s", s, d.Digest().Algorithm())
	}
	// The same text without normalising, to keep its spelling; it parses
	// whenever the normalised form did.
	ref, err := reference.Parse(s)
	if err != nil {
		return Ref{}, fmt.Errorf("image reference %q: %w", s, err)
	}
	written, ok := ref.(reference.Named)
	if !ok {
		return Ref{}, fmt.Errorf("image reference %q has no name", s)
	}
	return Ref{written: written, full: full, text: s}, nil
}

// String is the reference as it was written.
func (r Ref) String() string { return r.text }

// Full is the normalised form, as BuildKit names the image in its progress:
// docker.io/library/debian:12 for debian:12.
func (r Ref) Full() string { return r.full.String() }

// Familiar is the short form Docker shows: debian:12 for
// docker.io/library/debian:12.
func (r Ref) Familiar() string { return reference.FamiliarString(r.full) }

// ContextName is the name under which BuildKit's Dockerfile frontend looks
// for a FROM image among the build's named contexts (context:NAME): the
// familiar form without a ":latest" tag.
func (r Ref) ContextName() string { return strings.TrimSuffix(r.Familiar(), ":latest") }

// Domain is the registry's host[:port]; docker.io for a familiar name.
func (r Ref) Domain() string { return reference.Domain(r.full) }

// Digest is the digest the reference is pinned to, such as "sha256:…", or
// "" when it names the image by tag only.
func (r Ref) Digest() string {
	if d, ok := r.full.(reference.Digested); ok {
		return d.Digest().String()
	}
	return ""
}

// WithoutDigest is the reference as written with its digest removed, so it
// can be pinned anew: debian:12 for debian:12@sha256:….
func (r Ref) WithoutDigest() string {
	name := reference.TrimNamed(r.written)
	if t, ok := r.written.(reference.Tagged); ok {
		if tagged, err := reference.WithTag(name, t.Tag()); err == nil {
			return tagged.String()
		}
	}
	return name.String()
}

// Tagged is the name Docker keeps an image under: the familiar name with
// its tag, ":latest" when none is written, and no digest (a local name is
// not a pin). A reference that gives only a digest has none: ok is false.
func (r Ref) Tagged() (name string, ok bool) {
	if t, isTagged := r.full.(reference.Tagged); isTagged {
		if tagged, err := reference.WithTag(reference.TrimNamed(r.full), t.Tag()); err == nil {
			return reference.FamiliarString(tagged), true
		}
	}
	if r.Digest() != "" {
		return "", false
	}
	return reference.FamiliarString(reference.TagNameOnly(r.full)), true
}

// Normalized is the full name with ":latest" added when no tag or digest is
// written: how BuildKit's exporters name an image (image.name).
func (r Ref) Normalized() string { return reference.TagNameOnly(r.full).String() }
