package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// sampleFiles is a small bundle with one file of every kind a real one has.
func sampleFiles() Files {
	return Files{
		{Name: DockerfileName, Data: []byte("FROM scratch\n")},
		{Name: "recipes/app/run.sh", Exec: true, Data: []byte("#!/bin/sh\necho hi\n")},
		{Name: "recipes/app/data/a b.txt", Data: []byte("spaces in names\n")},
		{Name: "build.sh", Exec: true, Data: []byte("#!/bin/sh\n")},
		{Name: "smoke.sh", Exec: true, Data: []byte("#!/bin/sh\n")},
		{Name: ExpectedName, Data: []byte("{}\n")},
		{Name: TestsName, Data: []byte("{}\n")},
		{Name: "layers/07.files.tsv.gz", Data: []byte{0x1f, 0x8b, 0, 1, 2}},
		{Name: "README.md", Data: []byte("# readme\n")},
	}
}

func sampleBundle(t *testing.T) Files {
	t.Helper()
	all, err := withSums(sampleFiles())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func writeSampleDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := writeDir(dir, sampleBundle(t), 1700000000); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestVerifyIntact(t *testing.T) {
	dir := writeSampleDir(t)
	v, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Files != len(sampleFiles()) {
		t.Fatalf("intact directory: files %d, problems %v", v.Files, v.Problems)
	}
	tarball := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := writeTarballFile(tarball, sampleBundle(t), 1700000000); err != nil {
		t.Fatal(err)
	}
	v, err = Verify(tarball)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Fatalf("intact tarball: %v", v.Problems)
	}
}

// TestVerifyNamesEveryChange changes, adds and removes each kind of file,
// in a directory and in a tarball, and wants the file named each time.
func TestVerifyNamesEveryChange(t *testing.T) {
	type edit struct {
		name string
		do   func(Files) Files
		kind ProblemKind
		path string
	}
	var edits []edit
	for _, f := range sampleFiles() {
		name := f.Name
		edits = append(edits,
			edit{"change " + name, func(fs Files) Files { return changeFile(fs, name) }, ProblemChanged, name},
			edit{"remove " + name, func(fs Files) Files { return removeFile(fs, name) }, ProblemMissing, name},
		)
	}
	for _, added := range []string{"extra.txt", "recipes/app/extra.py", "layers/99.files.tsv.gz", ".hidden"} {
		added := added
		edits = append(edits, edit{"add " + added, func(fs Files) Files {
			return append(fs, File{Name: added, Data: []byte("surprise\n")})
		}, ProblemAdded, added})
	}
	edits = append(edits,
		edit{"remove " + SumsName, func(fs Files) Files { return removeFile(fs, SumsName) }, ProblemMissing, SumsName},
		edit{"garble " + SumsName, func(fs Files) Files { return changeFile(fs, SumsName) }, ProblemChanged, SumsName},
	)
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			files := e.do(slices.Clone(sampleBundle(t)))
			dir := filepath.Join(t.TempDir(), "bundle")
			writeRaw(t, dir, files)
			tarball := filepath.Join(t.TempDir(), "b.tar.gz")
			if err := writeTarballFile(tarball, files, 1700000000); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{dir, tarball} {
				v, err := Verify(p)
				if err != nil {
					t.Fatal(err)
				}
				if !hasProblem(v.Problems, e.kind, e.path) {
					t.Errorf("%s: problems %v, want %s %s", filepath.Base(p), v.Problems, e.kind, e.path)
				}
			}
		})
	}
}

// writeRaw writes files as they are, without the checks writeDir makes.
func writeRaw(t *testing.T, dir string, files Files) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode()); err != nil {
			t.Fatal(err)
		}
	}
}

func changeFile(fs Files, name string) Files {
	for i := range fs {
		if fs[i].Name == name {
			fs[i].Data = append(slices.Clone(fs[i].Data), []byte("tampered")...)
		}
	}
	return fs
}

func removeFile(fs Files, name string) Files {
	return slices.DeleteFunc(fs, func(f File) bool { return f.Name == name })
}

func hasProblem(ps []Problem, kind ProblemKind, path string) bool {
	for _, p := range ps {
		if p.Kind == kind && p.Path == path {
			return true
		}
	}
	return false
}

func TestVerifyRefusesLinksInADirectory(t *testing.T) {
	dir := writeSampleDir(t)
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A link in place of a listed file: its target must not be read.
	if err := os.Remove(filepath.Join(dir, "README.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "README.md")); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(v.Problems, ProblemRefused, "README.md") || !hasProblem(v.Problems, ProblemMissing, "README.md") {
		t.Errorf("problems %v, want README.md refused (a symbolic link) and missing", v.Problems)
	}
}

// tarEntry is one hand-made tar entry of a hostile tarball.
type tarEntry struct {
	hdr  tar.Header
	data string
}

func hostileTarball(t *testing.T, entries []tarEntry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.hdr
		h.ModTime = time.Unix(1700000000, 0)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.data))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if e.data != "" {
			if _, err := tw.Write([]byte(e.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "hostile.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostileTarballs: every entry that could write outside the target or
// alias another file is refused by name, and nothing is written anywhere:
// not by verify, and not by reproduce, which extracts only what verified.
func TestHostileTarballs(t *testing.T) {
	good := sampleBundle(t)
	cases := map[string][]tarEntry{
		"../x":           {{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "../x"}, data: "escape"}},
		"a/../../x":      {{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "a/../../x"}, data: "escape"}},
		"/tmp/abs":       {{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "/tmp/abs"}, data: "absolute"}},
		"link":           {{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "link", Linkname: "/etc/passwd"}}},
		"hard":           {{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "hard", Linkname: "/etc/passwd"}}},
		"dev":            {{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev", Devmajor: 1, Devminor: 3}}},
		"blk":            {{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "blk", Devmajor: 8}}},
		"fifo":           {{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "fifo"}}},
		`back\slash`:     {{hdr: tar.Header{Typeflag: tar.TypeReg, Name: `..\x`}, data: "windows"}},
		"README.md":      {{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "README.md"}, data: "a second README"}},
		"dir then links": {{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "recipes/app/data", Linkname: "/"}}},
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			var entries []tarEntry
			for _, f := range good {
				entries = append(entries, tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: f.Name}, data: string(f.Data)})
			}
			entries = append(entries, extra...)
			tarball := hostileTarball(t, entries)
			work := t.TempDir()
			v, err := Verify(tarball)
			if err != nil {
				t.Fatal(err)
			}
			if v.OK() {
				t.Fatalf("a tarball with %q verified", name)
			}
			refused := false
			for _, p := range v.Problems {
				if p.Kind == ProblemRefused && p.Path == extra[0].hdr.Name {
					refused = true
				}
			}
			if !refused {
				t.Errorf("problems %v, want %q refused", v.Problems, extra[0].hdr.Name)
			}
			// What a reproduction reads of it: nothing but the refusal.
			opened, err := Open(tarball)
			if err != nil || opened.Verified.OK() {
				t.Fatalf("open: %v", err)
			}
			if _, _, _, err := opened.Contents(); err == nil {
				t.Error("the contents of a bundle that does not verify were read")
			}
			if entries, _ := os.ReadDir(work); len(entries) > 0 {
				t.Errorf("reproduce wrote %d entries into its temp dir", len(entries))
			}
			for _, p := range []string{filepath.Join(filepath.Dir(tarball), "x"), filepath.Join(filepath.Dir(filepath.Dir(tarball)), "x"), "/tmp/abs"} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
		})
	}
}

func TestExtractOnlyWritesInsideItsDirectory(t *testing.T) {
	parent := t.TempDir()
	files := map[string][]byte{"a/b.txt": []byte("b"), "run.sh": []byte("#!/bin/sh\n")}
	dir, err := extract(files, map[string]bool{"run.sh": true}, parent)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "run.sh"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run.sh: %v, mode %v", err, fi.Mode())
	}
	if _, err := extract(map[string][]byte{"../escape": []byte("x")}, nil, parent); err == nil {
		t.Error("extract wrote ../escape")
	}
	if _, err := os.Stat(filepath.Join(parent, "escape")); err == nil {
		t.Error("../escape was written")
	}
}

// TestReadsStayInsideTheBundle: a directory of the bundle that is a link to
// elsewhere is refused by the walk, and a file is never read through it
// even when the walk is raced (the link appearing after it looked).
func TestReadsStayInsideTheBundle(t *testing.T) {
	dir := writeSampleDir(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	l, err := loadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, read := l.files["elsewhere/secret"]; read || !hasProblem(l.refused, ProblemRefused, "elsewhere") {
		t.Errorf("files %d, refused %v: want the link refused and nothing read through it", len(l.files), l.refused)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if data, err := readRegular(root, "elsewhere/secret"); err == nil {
		t.Errorf("read %q through a link that leaves the bundle", data)
	}
}

func TestParseSums(t *testing.T) {
	good := strings.Repeat("a", 64)
	for _, bad := range []string{
		"nonsense\n",
		good + "  ../x\n",
		good + "  /abs\n",
		good + "  " + SumsName + "\n",
		good + "  a\n" + good + "  a\n",
		strings.Repeat("A", 64) + "  upper\n",
	} {
		if _, err := parseSums([]byte(bad)); err == nil {
			t.Errorf("parseSums(%q) accepted it", bad)
		}
	}
	sums, err := parseSums([]byte(good + "  a b\n" + good + " *bin\n"))
	if err != nil || sums["a b"] != good || sums["bin"] != good {
		t.Errorf("parseSums: %v %v", sums, err)
	}
}
