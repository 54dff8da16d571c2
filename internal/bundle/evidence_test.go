package bundle

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/evidence"
)

// probeBundle is the probe-sim bundle with its statement, as Write makes it.
func probeBundle(t *testing.T) (Files, *contents) {
	t.Helper()
	in := probeContents(t)
	files, _, err := in.files()
	if err != nil {
		t.Fatal(err)
	}
	all, err := withSums(files)
	if err == nil {
		all, err = withStatement(all, in)
	}
	if err != nil {
		t.Fatal(err)
	}
	return all, in
}

func verifyFiles(t *testing.T, files Files) *Verified {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	writeRaw(t, dir, files)
	v, err := Verify(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fileData(files Files, name string) []byte {
	for _, f := range files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// TestStatementMatchesTheBundle: the statement names the image digest of
// expected.json and the digest of the bundle's SHA256SUMS, and verify
// fails, naming both digests, when the statement and the bundle disagree.
func TestStatementMatchesTheBundle(t *testing.T) {
	all, in := probeBundle(t)
	v := verifyFiles(t, all)
	if !v.OK() || v.Statement == nil {
		t.Fatalf("intact bundle: %v", v.Problems)
	}
	if v.Statement.ImageDigest != in.Expected.ManifestDigest || v.Statement.SumsSHA256 != evidence.SHA256(fileData(all, SumsName)) {
		t.Errorf("the statement names %s and SHA256SUMS %s", v.Statement.ImageDigest, v.Statement.SumsSHA256)
	}
	if v.Files != len(all)-2 {
		t.Errorf("SHA256SUMS lists %d files of %d: it must list all but itself and the statement", v.Files, len(all))
	}

	// Someone changes a file and writes SHA256SUMS again: the sums hold,
	// the statement no longer names them.
	edited := changeFile(slices.Clone(all), "README.md")
	var rest Files
	for _, f := range edited {
		if f.Name != SumsName && f.Name != evidence.StatementName {
			rest = append(rest, f)
		}
	}
	resummed, err := withSums(rest)
	if err != nil {
		t.Fatal(err)
	}
	resummed = append(resummed, File{Name: evidence.StatementName, Data: fileData(all, evidence.StatementName)})
	v = verifyFiles(t, resummed)
	if v.OK() || !hasProblem(v.Problems, ProblemMismatch, evidence.StatementName) ||
		!strings.Contains(v.Problems[0].Detail, "names SHA256SUMS sha256 "+short(evidence.SHA256(fileData(all, SumsName)))) {
		t.Errorf("a statement of other sums: %v", v.Problems)
	}

	// A statement of another image.
	other := strings.Replace(string(fileData(all, evidence.StatementName)), strings.TrimPrefix(in.Expected.ManifestDigest, "sha256:"), strings.Repeat("b", 64), 1)
	v = verifyFiles(t, append(removeFile(slices.Clone(all), evidence.StatementName), File{Name: evidence.StatementName, Data: []byte(other)}))
	if v.OK() || !strings.Contains(problemText(v.Problems), "names image sha256:"+strings.Repeat("b", 64)+", expected.json records "+in.Expected.ManifestDigest) {
		t.Errorf("a statement of another image: %v", v.Problems)
	}

	// Not a statement at all.
	v = verifyFiles(t, append(removeFile(slices.Clone(all), evidence.StatementName), File{Name: evidence.StatementName, Data: []byte("{}")}))
	if v.OK() || !hasProblem(v.Problems, ProblemMismatch, evidence.StatementName) {
		t.Errorf("a statement that is none: %v", v.Problems)
	}

	// A bundle without one (older macabox) verifies on its sums alone.
	v = verifyFiles(t, removeFile(slices.Clone(all), evidence.StatementName))
	if !v.OK() || v.Statement != nil {
		t.Errorf("a bundle without a statement: %v", v.Problems)
	}
}

func problemText(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}
