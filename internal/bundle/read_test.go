package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sampleTar is the sample bundle as a plain tar stream, as writeTarball
// makes it, but not compressed.
func sampleTar(t *testing.T) []byte {
	t.Helper()
	var gz bytes.Buffer
	if err := writeTarball(&gz, sampleBundle(t), 1700000000); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return plain.Bytes()
}

func gzipOf(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func verifyBytes(t *testing.T, data []byte) *Verified {
	t.Helper()
	p := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifyRefusesTrailingData: bytes after the tar end marker, or after
// the gzip stream, are no file of the bundle, yet another tool may read
// them (a second gzip member is read by gzip -d and tar as more archive).
// The zero padding archivers add is accepted.
func TestVerifyRefusesTrailingData(t *testing.T) {
	plain := sampleTar(t)
	second := gzipOf(t, sampleTar(t))
	for name, data := range map[string][]byte{
		"bytes after the end marker": gzipOf(t, append(bytes.Clone(plain), "hidden"...)),
		"zeros past the record":      gzipOf(t, append(bytes.Clone(plain), make([]byte, 2*tarRecord)...)),
		"a second gzip member":       append(gzipOf(t, plain), second...),
		"bytes after the gzip":       append(gzipOf(t, plain), "hidden"...),
	} {
		v := verifyBytes(t, data)
		if !hasProblem(v.Problems, ProblemRefused, "") || !strings.Contains(fmt.Sprint(v.Problems), "after the") {
			t.Errorf("%s: problems %v, want the trailing data refused", name, v.Problems)
		}
	}
	padded := append(bytes.Clone(plain), make([]byte, (tarRecord-len(plain)%tarRecord)%tarRecord)...)
	if v := verifyBytes(t, gzipOf(t, padded)); !v.OK() {
		t.Errorf("a tarball padded to a whole record: %v", v.Problems)
	}
}

// TestVerifyAcceptsArchivers: the bundle as tar and git archive write it
// (record padding, a global header with the commit) verifies.
func TestVerifyAcceptsArchivers(t *testing.T) {
	dir := writeSampleDir(t)
	tarball := filepath.Join(t.TempDir(), "by-tar.tar.gz")
	if out, err := exec.Command("tar", "-czf", tarball, "-C", dir, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if v, err := Verify(t.Context(), tarball); err != nil || !v.OK() {
		t.Errorf("tar -czf: %v %v", v.Problems, err)
	}
	var entries []tarEntry
	entries = append(entries, tarEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header",
		PAXRecords: map[string]string{"comment": strings.Repeat("c", 40)}}})
	for _, f := range sampleBundle(t) {
		entries = append(entries, tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: f.Name, Mode: int64(f.Mode())}, data: string(f.Data)})
	}
	if v, err := Verify(t.Context(), hostileTarball(t, entries)); err != nil || !v.OK() {
		t.Errorf("a git archive's global header: %v %v", v.Problems, err)
	}
}

// TestVerifyRefusesModesAndMetadata: set-id and sticky bits, modes other
// than 0644 and 0755, extended attributes (a file capability is a
// privilege), and global headers that change entries are refused, in a
// tarball and, for the special bits, in a directory; even on a file that
// SHA256SUMS lists with the right digest.
func TestVerifyRefusesModesAndMetadata(t *testing.T) {
	good := sampleBundle(t)
	cases := map[string]tar.Header{
		"setuid build.sh":   {Typeflag: tar.TypeReg, Name: "build.sh", Mode: 0o4755},
		"setgid build.sh":   {Typeflag: tar.TypeReg, Name: "build.sh", Mode: 0o2755},
		"sticky build.sh":   {Typeflag: tar.TypeReg, Name: "build.sh", Mode: 0o1755},
		"world-writable":    {Typeflag: tar.TypeReg, Name: "build.sh", Mode: 0o777},
		"private":           {Typeflag: tar.TypeReg, Name: "README.md", Mode: 0o600},
		"file capability":   {Typeflag: tar.TypeReg, Name: "build.sh", Mode: 0o755, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}},
		"setgid directory":  {Typeflag: tar.TypeDir, Name: "more/", Mode: 0o2755},
		"global header uid": {Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"uid": "0"}},
	}
	for name, hdr := range cases {
		t.Run(name, func(t *testing.T) {
			var entries []tarEntry
			replaced := false
			for _, f := range good {
				e := tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: f.Name, Mode: int64(f.Mode())}, data: string(f.Data)}
				if f.Name == hdr.Name {
					e.hdr, replaced = hdr, true
				}
				entries = append(entries, e)
			}
			if !replaced {
				entries = append(entries, tarEntry{hdr: hdr})
			}
			v, err := Verify(t.Context(), hostileTarball(t, entries))
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(v.Problems, ProblemRefused, hdr.Name) {
				t.Errorf("problems %v, want %s refused", v.Problems, hdr.Name)
			}
		})
	}
	dir := writeSampleDir(t)
	if err := os.Chmod(filepath.Join(dir, "build.sh"), 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if v, err := Verify(t.Context(), dir); err != nil || !hasProblem(v.Problems, ProblemRefused, "build.sh") {
		t.Errorf("a setuid build.sh in a directory: %v %v", v.Problems, err)
	}
}

// TestVerifyLimits: too many entries, a name too long, and too many
// problems stop or refuse with bounded output.
func TestVerifyLimits(t *testing.T) {
	many := make([]tarEntry, maxBundleEntries+1)
	for i := range many {
		many[i] = tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("f%d", i)}, data: "x"}
	}
	v, err := Verify(t.Context(), hostileTarball(t, many))
	if err != nil || !hasProblem(v.Problems, ProblemStopped, fmt.Sprintf("f%d", maxBundleEntries)) {
		t.Errorf("%d entries: %v %v", len(many), v.Problems, err)
	}
	long := strings.Repeat("d/", maxNameBytes/2) + "f"
	v, err = Verify(t.Context(), hostileTarball(t, []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeReg, Name: long}, data: "x"}}))
	refused := false
	for _, p := range v.Problems {
		refused = refused || p.Kind == ProblemRefused && strings.HasPrefix(p.Path, "d/d/") && len(p.Path) <= maxProblemText+32
	}
	if err != nil || !refused {
		t.Errorf("a name of %d bytes: %v %v", len(long), v.Problems, err)
	}
	links := make([]tarEntry, 3*maxProblems)
	for i := range links {
		links[i] = tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: fmt.Sprintf("l%d", i), Linkname: strings.Repeat("t", 4096)}}
	}
	v, err = Verify(t.Context(), hostileTarball(t, links))
	if err != nil || len(v.Problems) != maxProblems || v.Omitted == 0 || v.Problems[len(v.Problems)-1].Kind != ProblemStopped {
		t.Errorf("%d links: %d problems, %d omitted, last %v, %v", len(links), len(v.Problems), v.Omitted, v.Problems[len(v.Problems)-1], err)
	}
	for _, p := range v.Problems {
		if len(p.Detail) > maxProblemText+32 {
			t.Errorf("a problem quotes %d bytes of the bundle", len(p.Detail))
		}
	}
}

// TestExportKeepsToTheLimits: export refuses to write a bundle that verify
// would refuse, naming why.
func TestExportKeepsToTheLimits(t *testing.T) {
	for name, files := range map[string]Files{
		"a long name":      append(sampleFiles(), File{Name: strings.Repeat("n", maxNameBytes+1), Data: []byte("x")}),
		"a big Dockerfile": {{Name: DockerfileName, Data: bytes.Repeat([]byte("#\n"), int(keptLimit[DockerfileName]))}},
		"too many files": func() Files {
			var fs Files
			for i := range maxBundleEntries {
				fs = append(fs, File{Name: fmt.Sprintf("f%d", i)})
			}
			return fs
		}(),
	} {
		if _, err := withSums(files); err == nil {
			t.Errorf("%s: a bundle verify refuses was written", name)
		}
	}
}
