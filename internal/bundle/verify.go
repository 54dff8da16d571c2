package bundle

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/evidence"
)

// ProblemKind says what is wrong with one file of a bundle.
type ProblemKind string

const (
	// ProblemChanged: the content differs from its SHA256SUMS line.
	ProblemChanged ProblemKind = "changed"
	// ProblemMissing: listed in SHA256SUMS, absent from the bundle.
	ProblemMissing ProblemKind = "missing"
	// ProblemAdded: present in the bundle, not listed in SHA256SUMS.
	ProblemAdded ProblemKind = "added"
	// ProblemRefused: an entry a bundle may never hold (a link, a device,
	// a path that leaves the bundle).
	ProblemRefused ProblemKind = "refused"
	// ProblemMismatch: the in-toto statement says something else than the
	// bundle (another SHA256SUMS, image or recipe inputs).
	ProblemMismatch ProblemKind = "mismatch"
)

// Problem is one thing wrong with a bundle, with the file it concerns.
type Problem struct {
	Kind   ProblemKind `json:"kind"`
	Path   string      `json:"path"`
	Detail string      `json:"detail,omitempty"`
}

func (p Problem) String() string {
	if p.Detail == "" {
		return fmt.Sprintf("%s: %s", p.Kind, p.Path)
	}
	return fmt.Sprintf("%s: %s (%s)", p.Kind, p.Path, p.Detail)
}

// Verified is the outcome of checking a bundle against its SHA256SUMS.
type Verified struct {
	// Files counts the files SHA256SUMS lists.
	Files    int
	Problems []Problem
	// Statement is what the bundle's in-toto statement says; nil when the
	// bundle has none (or it cannot be read, which is a problem).
	Statement *evidence.Attested

	files map[string][]byte
}

// OK reports whether the bundle is exactly what SHA256SUMS lists.
func (v *Verified) OK() bool { return len(v.Problems) == 0 }

// Verify checks a bundle directory or .tar.gz as a closed world: every file
// SHA256SUMS lists must be there with that digest, and nothing else may be
// (SHA256SUMS aside). Every added, removed, changed or refused entry is
// named. The error is for a bundle that could not be read at all; a bundle
// that was read and is wrong comes back with Problems.
func Verify(bundlePath string) (*Verified, error) {
	l, err := load(bundlePath)
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", bundlePath, err)
	}
	return check(l), nil
}

func check(l *loaded) *Verified {
	v := &Verified{Problems: slices.Clone(l.refused), files: l.files}
	raw, ok := l.files[SumsName]
	if !ok {
		v.Problems = append(v.Problems, Problem{Kind: ProblemMissing, Path: SumsName, Detail: "a bundle lists its files and their digests there"})
		return v
	}
	sums, err := parseSums(raw)
	if err != nil {
		v.Problems = append(v.Problems, Problem{Kind: ProblemChanged, Path: SumsName, Detail: err.Error()})
		return v
	}
	v.Files = len(sums)
	for name, want := range sums {
		data, ok := l.files[name]
		switch {
		case !ok:
			v.Problems = append(v.Problems, Problem{Kind: ProblemMissing, Path: name})
		case sha256Hex(data) != want:
			v.Problems = append(v.Problems, Problem{Kind: ProblemChanged, Path: name,
				Detail: fmt.Sprintf("sha256 %s, %s lists %s", short(sha256Hex(data)), SumsName, short(want))})
		}
	}
	for name := range l.files {
		if _, listed := sums[name]; !listed && name != SumsName && name != evidence.StatementName {
			v.Problems = append(v.Problems, Problem{Kind: ProblemAdded, Path: name, Detail: "not listed in " + SumsName})
		}
	}
	stmt, attested := statementProblems(l.files)
	v.Problems, v.Statement = append(v.Problems, stmt...), attested
	slices.SortFunc(v.Problems, func(a, b Problem) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	return v
}

func short(hex string) string {
	if len(hex) > 12 {
		return hex[:12]
	}
	return hex
}
