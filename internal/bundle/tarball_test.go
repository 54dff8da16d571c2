package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestTarballIsReproducible(t *testing.T) {
	var a, b bytes.Buffer
	if err := writeTarball(&a, sampleBundle(t), 1700000000); err != nil {
		t.Fatal(err)
	}
	// The same files in another order give the same bytes.
	files := sampleBundle(t)
	for i, j := 0, len(files)-1; i < j; i, j = i+1, j-1 {
		files[i], files[j] = files[j], files[i]
	}
	if err := writeTarball(&b, files, 1700000000); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two tarballs of the same files differ")
	}

	raw := a.Bytes()
	// gzip header: no FNAME flag, MTIME zero.
	if raw[3]&0x08 != 0 || !bytes.Equal(raw[4:8], []byte{0, 0, 0, 0}) {
		t.Errorf("gzip header carries a name or a time: % x", raw[:10])
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || h.ModTime.Unix() != 1700000000 {
			t.Errorf("%s: owner %d:%d %q:%q, time %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
		want := int64(0o644)
		if h.Typeflag == tar.TypeDir || h.Name == "build.sh" || h.Name == "smoke.sh" || h.Name == "recipes/app/run.sh" {
			want = 0o755
		}
		if h.Mode != want {
			t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, want)
		}
	}
	for i := 1; i < len(names); i++ {
		if tarKey(names[i]) < tarKey(names[i-1]) {
			t.Errorf("entries out of order: %s after %s", names[i], names[i-1])
		}
	}
}

func tarKey(name string) string {
	out := []byte(name)
	if len(out) > 0 && out[len(out)-1] == '/' {
		out = out[:len(out)-1]
	}
	for i := range out {
		if out[i] == '/' {
			out[i] = 0
		}
	}
	return string(out)
}

// TestTarballExtractsWithSha256sum: what tar and sha256sum make of the
// tarball, without macabox, is a bundle that checks out.
func TestTarballExtractsWithSha256sum(t *testing.T) {
	dir := t.TempDir()
	tarball := filepath.Join(dir, "b.tar.gz")
	if err := writeTarballFile(tarball, sampleBundle(t), 1700000000); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	cmd := exec.Command("sh", "-c", `mkdir "$1" && tar -xzf "$2" -C "$1" && cd "$1" && sha256sum -c --quiet SHA256SUMS`, "sh", out, tarball)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar and sha256sum: %v\n%s", err, b)
	}
}
