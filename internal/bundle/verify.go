package bundle

import (
	"context"
	"encoding/hex"
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
	// a path that leaves the bundle, an odd mode), data where a bundle has
	// none, or a Dockerfile macabox did not render.
	ProblemRefused ProblemKind = "refused"
	// ProblemStopped: the bundle reached a limit (its size, its number of
	// entries, the number of problems) and the rest was not read. Its path
	// is the entry reading stopped at, if any.
	ProblemStopped ProblemKind = "stopped"
	// ProblemMismatch: the in-toto statement says something else than the
	// bundle (another SHA256SUMS, image or recipe inputs).
	ProblemMismatch ProblemKind = "mismatch"
)

// Problem is one thing wrong with a bundle, with the file it concerns.
// Path and Detail quote the bundle, clipped: print them through an escaper
// for the output at hand.
type Problem struct {
	Kind   ProblemKind `json:"kind"`
	Path   string      `json:"path"`
	Detail string      `json:"detail,omitempty"`
}

func (p Problem) String() string {
	switch {
	case p.Path == "":
		return fmt.Sprintf("%s: %s", p.Kind, p.Detail)
	case p.Detail == "":
		return fmt.Sprintf("%s: %s", p.Kind, p.Path)
	}
	return fmt.Sprintf("%s: %s (%s)", p.Kind, p.Path, p.Detail)
}

// Verified is the outcome of checking a bundle against its SHA256SUMS.
type Verified struct {
	// Files counts the files SHA256SUMS lists.
	Files int
	// Problems are the problems found, at most maxProblems of them;
	// Omitted counts those left out.
	Problems []Problem
	Omitted  int
	// Statement is what the bundle's in-toto statement says; nil when the
	// bundle has none (or it cannot be read, which is a problem).
	Statement *evidence.Attested

	files map[string]fileSum
	kept  map[string][]byte
}

// OK reports whether the bundle is exactly what SHA256SUMS lists.
func (v *Verified) OK() bool { return len(v.Problems) == 0 }

// Verify checks a bundle directory or .tar.gz as a closed world: every file
// SHA256SUMS lists must be there with that digest, nothing else may be
// (SHA256SUMS aside), and the Dockerfile must be one macabox rendered. Every
// added, removed, changed or refused entry is named, up to a limit. Nothing
// is written anywhere, and memory stays bounded whatever the bundle holds.
// The error is for a bundle that could not be read at all (or a cancelled
// ctx); a bundle that was read and is wrong comes back with Problems.
func Verify(ctx context.Context, bundlePath string) (*Verified, error) {
	r := newReader(ctx, nil)
	if err := r.readBundle(bundlePath); err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", bundlePath, err)
	}
	return check(r), nil
}

func check(r *reader) *Verified {
	v := &Verified{Problems: slices.Clone(r.refused), files: r.files, kept: r.kept}
	if r.stop != nil {
		v.Problems = append(v.Problems, *r.stop)
		return v.capped()
	}
	v.Problems = append(v.Problems, checkSums(r, &v.Files)...)
	if sums, ok := r.files[SumsName]; ok {
		stmt, attested := statementProblems(r.kept, hex.EncodeToString(sums.sum[:]))
		v.Problems, v.Statement = append(v.Problems, stmt...), attested
	}
	if df, ok := r.kept[DockerfileName]; ok {
		if why := foreignDockerfile(df); why != "" {
			v.Problems = append(v.Problems, Problem{Kind: ProblemRefused, Path: DockerfileName, Detail: why})
		}
	}
	return v.capped()
}

// checkSums compares what was read with SHA256SUMS.
func checkSums(r *reader, listed *int) []Problem {
	raw, ok := r.kept[SumsName]
	if !ok {
		if _, read := r.files[SumsName]; read {
			return nil // refused while reading: too large
		}
		return []Problem{{Kind: ProblemMissing, Path: SumsName, Detail: "a bundle lists its files and their digests there"}}
	}
	sums, err := parseSums(raw)
	if err != nil {
		return []Problem{{Kind: ProblemChanged, Path: SumsName, Detail: clip(err.Error())}}
	}
	*listed = len(sums)
	var out []Problem
	for name, want := range sums {
		got, ok := r.files[name]
		switch {
		case !ok:
			out = append(out, Problem{Kind: ProblemMissing, Path: name})
		case hex.EncodeToString(got.sum[:]) != want:
			out = append(out, Problem{Kind: ProblemChanged, Path: name,
				Detail: fmt.Sprintf("sha256 %s, %s lists %s", short(hex.EncodeToString(got.sum[:])), SumsName, short(want))})
		}
	}
	for name := range r.files {
		if _, listed := sums[name]; !listed && name != SumsName && name != evidence.StatementName {
			out = append(out, Problem{Kind: ProblemAdded, Path: name, Detail: "not listed in " + SumsName})
		}
	}
	return out
}

// capped sorts the problems, then keeps the first maxProblems, counting the
// rest in Omitted; a problem that stopped the reading is always kept.
func (v *Verified) capped() *Verified {
	slices.SortStableFunc(v.Problems, func(a, b Problem) int {
		if (a.Kind == ProblemStopped) != (b.Kind == ProblemStopped) {
			if a.Kind == ProblemStopped {
				return 1
			}
			return -1
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	if n := len(v.Problems); n > maxProblems {
		last := v.Problems[n-1]
		v.Omitted = n - maxProblems
		v.Problems = v.Problems[:maxProblems]
		if last.Kind == ProblemStopped {
			v.Problems[maxProblems-1] = last
		}
	}
	return v
}

// digest is the sha256 a verified file was read with, in hex.
func (v *Verified) digest(name string) (string, bool) {
	s, ok := v.files[name]
	if !ok {
		return "", false
	}
	return hex.EncodeToString(s.sum[:]), true
}

func short(hex string) string {
	if len(hex) > 12 {
		return hex[:12]
	}
	return hex
}
