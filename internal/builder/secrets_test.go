package builder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSecretNeverLeaks builds with a file secret and an env secret, and looks
// for their values in every blob of the image (layers decompressed), the
// metadata file and the progress output in plain and rawjson modes.
func TestSecretNeverLeaks(t *testing.T) {
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	base := busyboxBase(t, b)

	fileSecret := randomSecret(t)
	envSecret := randomSecret(t)
	secretFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secretFile, []byte(fileSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	df := `FROM busybox
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /dev/null && wc -c < /run/secrets/tok > /tok-len
RUN --mount=type=secret,id=envtok,env=ENVTOK echo "env secret has ${#ENVTOK} bytes" && echo ${#ENVTOK} > /env-len
`
	epoch := int64(1712345678)
	out := t.TempDir()
	var leaks []string
	for i, mode := range []string{"plain", "rawjson"} {
		var progress bytes.Buffer
		p, err := NewProgress(ctx, &progress, mode)
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(out, mode)
		res, err := b.Build(ctx, Request{
			Dockerfile: []byte(df),
			Contexts:   map[string]NamedContext{"busybox": base},
			Secrets:    []Secret{{ID: "tok", Src: secretFile}, {ID: "envtok", Env: "MACABOX_TEST_ENVTOK"}},
			LookupEnv: func(k string) (string, bool) {
				if k == "MACABOX_TEST_ENVTOK" {
					return envSecret, true
				}
				return "", false
			},
			Epoch:      &epoch,
			NoCache:    i > 0, // run the steps again so their logs are in this mode's output too
			Outputs:    []Output{{Type: OutputOCI, Dest: dest}},
			InputsHash: "sha256:test",
			Progress:   p,
		})
		if cerr := p.Close(); cerr != nil {
			t.Error(cerr)
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, progress.String())
		}
		var meta bytes.Buffer
		if err := res.WriteMetadata(&meta); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(progress.String(), "env secret has") {
			t.Errorf("%s progress lacks the step's log; the scan would prove nothing:\n%s", mode, progress.String())
		}
		blobs := scanLayout(t, dest)
		if got := blobs.files["tok-len"]; strings.TrimSpace(got) != strconv.Itoa(len(fileSecret)) {
			t.Errorf("secret was not mounted: /tok-len = %q", got)
		}
		if got := blobs.files["env-len"]; strings.TrimSpace(got) != strconv.Itoa(len(envSecret)) {
			t.Errorf("env secret was not mounted: /env-len = %q", got)
		}
		where := map[string][]byte{mode + " progress": progress.Bytes(), "metadata": meta.Bytes()}
		for name, data := range blobs.blobs {
			where[name] = data
		}
		for name, data := range where {
			for _, s := range []string{fileSecret, envSecret} {
				if bytes.Contains(data, []byte(s)) {
					leaks = append(leaks, name)
				}
			}
		}
		t.Logf("%s: scanned %d blobs/files, progress %d bytes, metadata:\n%s", mode, len(where), progress.Len(), meta.String())
	}
	if len(leaks) > 0 {
		t.Fatalf("secret found in %v", leaks)
	}
}

func randomSecret(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "macabox-secret-" + hex.EncodeToString(b)
}

type layoutScan struct {
	blobs map[string][]byte // every file of the layout, gzip blobs decompressed
	files map[string]string // regular files found in layer tarballs
}

func scanLayout(t *testing.T, dir string) layoutScan {
	t.Helper()
	s := layoutScan{blobs: map[string][]byte{}, files: map[string]string{}}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s.blobs[p] = data
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			plain, err := io.ReadAll(zr)
			if err != nil {
				return err
			}
			s.blobs[p+" (gunzipped)"] = plain
			tr := tar.NewReader(bytes.NewReader(plain))
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				if h.Typeflag == tar.TypeReg {
					content, _ := io.ReadAll(tr)
					s.files[h.Name] = string(content)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
