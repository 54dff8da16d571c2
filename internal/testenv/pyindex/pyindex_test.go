package pyindex_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/testenv/pyindex"
)

func probe() pyindex.Wheel {
	return pyindex.Wheel{Name: "Macabox.Probe", Version: "1.0", Requires: []string{"macabox-dep>=2"}}
}

func TestWheelBytesAreDeterministicAndRecorded(t *testing.T) {
	w := probe()
	a, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.Bytes()
	if !bytes.Equal(a, b) {
		t.Fatal("the same wheel gave different bytes")
	}
	if got := w.Filename(); got != "macabox_probe-1.0-py3-none-any.whl" {
		t.Errorf("Filename = %q", got)
	}

	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	content := map[string][]byte{}
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: time %v", f.Name, f.Modified)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	want := []string{
		"macabox_probe/__init__.py",
		"macabox_probe-1.0.dist-info/METADATA",
		"macabox_probe-1.0.dist-info/WHEEL",
		"macabox_probe-1.0.dist-info/RECORD",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("entries %q, want %q", names, want)
	}
	if meta := string(content[want[1]]); !strings.Contains(meta, "\nName: Macabox.Probe\n") || !strings.Contains(meta, "\nRequires-Dist: macabox-dep>=2\n") {
		t.Errorf("METADATA:\n%s", meta)
	}

	// Every entry but RECORD itself is listed with its urlsafe, unpadded
	// sha256 and size (PEP 376).
	lines := strings.Split(strings.TrimSuffix(string(content[want[3]]), "\n"), "\n")
	if len(lines) != len(want) || lines[len(lines)-1] != want[3]+",," {
		t.Fatalf("RECORD:\n%s", content[want[3]])
	}
	for _, line := range lines[:len(lines)-1] {
		parts := strings.Split(line, ",")
		sum := sha256.Sum256(content[parts[0]])
		wantLine := fmt.Sprintf("%s,sha256=%s,%d", parts[0], base64.RawURLEncoding.EncodeToString(sum[:]), len(content[parts[0]]))
		if line != wantLine {
			t.Errorf("RECORD line %q, want %q", line, wantLine)
		}
	}
}

func TestWheelRejectsWhatItCannotWrite(t *testing.T) {
	for _, w := range []pyindex.Wheel{
		{Name: "x"},
		{Name: "x", Version: "1-2"},
		{Name: "x", Version: "1", Requires: []string{"a\nName: evil"}},
		{Name: "x", Version: "1", Files: map[string]string{"../escape.py": ""}},
		{Name: "x", Version: "1", Files: map[string]string{"/abs.py": ""}},
		{Name: "x", Version: "1", Files: map[string]string{"a,b.py": ""}},
		{Name: "x", Version: "1", Files: map[string]string{"x-1.dist-info/METADATA": ""}},
	} {
		if _, err := w.Bytes(); err == nil {
			t.Errorf("%+v: no error", w)
		}
	}
}

func TestIndexPages(t *testing.T) {
	ix := pyindex.New(t, probe())
	if !strings.HasPrefix(ix.URL(), "http://127.0.0.1:") || !strings.HasSuffix(ix.URL(), "/simple/") {
		t.Fatalf("URL = %q", ix.URL())
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := noRedirect.Get(strings.TrimSuffix(ix.URL(), "/simple/") + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	if resp, body := get("/simple/"); resp.StatusCode != 200 || !strings.Contains(body, `href="macabox-probe/"`) {
		t.Errorf("root: %d %s", resp.StatusCode, body)
	}
	data, _ := probe().Bytes()
	sum := sha256.Sum256(data)
	if resp, body := get("/simple/macabox-probe/"); resp.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf("macabox_probe-1.0-py3-none-any.whl#sha256=%x", sum)) {
		t.Errorf("project page: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/simple/Macabox_Probe/", "/simple/macabox-probe"} {
		if resp, _ := get(p); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/simple/macabox-probe/" {
			t.Errorf("%s: %d to %q", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, p := range []string{"/simple/torch/", "/files/torch-1-py3-none-any.whl", "/other"} {
		if resp, _ := get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if resp, body := get("/files/macabox_probe-1.0-py3-none-any.whl"); resp.StatusCode != 200 || body != string(data) {
		t.Errorf("file: %d, %d bytes", resp.StatusCode, len(body))
	}
	if n := ix.Count("macabox_probe-1.0-py3-none-any.whl"); n != 1 {
		t.Errorf("Count = %d", n)
	}
}

// TestPipUsesTheIndex is the check that matters: the host's pip downloads
// from the index (verifying the #sha256 fragments), resolves Requires-Dist
// through it, and the wheels install and import.
func TestPipUsesTheIndex(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 with pip is needed to test the index against a real pip: %v", err)
	}
	dep1 := pyindex.Wheel{Name: "macabox-dep", Version: "1.0"}
	dep2 := pyindex.Wheel{Name: "macabox-dep", Version: "2.0"}
	extra := pyindex.Wheel{Name: "macabox-extra", Version: "0.1", Files: map[string]string{
		"macabox_extra/__init__.py": "from macabox_extra.sub import VALUE\n",
		"macabox_extra/sub.py":      "VALUE = 42\n",
	}}
	ix := pyindex.New(t, probe(), dep1, dep2, extra)
	dir := t.TempDir()

	alone := filepath.Join(dir, "alone")
	pip(t, python, "download", "--no-deps", "-d", alone, "macabox-probe==1.0", "--index-url", ix.URL(), "--trusted-host", ix.Host())
	got, err := os.ReadFile(filepath.Join(alone, probe().Filename()))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := probe().Bytes(); !bytes.Equal(got, want) {
		t.Error("pip saved other bytes than the index served")
	}

	// A spelling pip must normalize, and a dependency it must resolve to the
	// newest version that fits.
	wheels := filepath.Join(dir, "wheels")
	pip(t, python, "download", "-d", wheels, "Macabox_Probe==1.0", "macabox-extra", "--index-url", ix.URL())
	for _, w := range []pyindex.Wheel{probe(), dep2, extra} {
		if _, err := os.Stat(filepath.Join(wheels, w.Filename())); err != nil {
			t.Errorf("pip did not download %s: %v", w.Filename(), err)
		}
	}
	if ix.Count(dep1.Filename()) != 0 {
		t.Errorf("pip fetched %s, which macabox-dep>=2 excludes", dep1.Filename())
	}

	// A venv without its own pip takes 0.4 s instead of 8; the host's pip
	// installs into it through --python (pip >= 22.3).
	venv := filepath.Join(dir, "venv")
	run(t, python, "-m", "venv", "--without-pip", venv)
	vpy := filepath.Join(venv, "bin", "python")
	pip(t, python, "--python", vpy, "install", "--no-index", "--find-links", wheels, "macabox-probe==1.0", "macabox-extra")
	out := run(t, vpy, "-c", `import importlib.metadata as m, macabox_probe, macabox_extra
print(macabox_probe.__version__, m.version("macabox-dep"), macabox_extra.VALUE, m.requires("macabox-probe"))`)
	if want := "1.0 2.0 42 ['macabox-dep>=2']"; strings.TrimSpace(out) != want {
		t.Errorf("installed: %q, want %q", out, want)
	}
	// pip uninstalls what RECORD lists: a wrong RECORD leaves files behind.
	pip(t, python, "--python", vpy, "uninstall", "-y", "macabox-extra")
	if out := run(t, vpy, "-c", "import importlib.util as u; print(u.find_spec('macabox_extra'))"); strings.TrimSpace(out) != "None" {
		t.Errorf("after uninstall: %q", out)
	}
}

// pip runs pip with the host's configuration shut out, so a developer's
// pip.conf or PIP_INDEX_URL cannot send it elsewhere.
func pip(t *testing.T, python string, args ...string) string {
	t.Helper()
	return run(t, python, append([]string{"-m", "pip", "--no-cache-dir", "--disable-pip-version-check", "--no-input"}, args...)...)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "PIP_CONFIG_FILE="+os.DevNull, "PYTHONNOUSERSITE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestIndexRequiresCredentials: an index made private answers only requests
// with its credentials, and the host's pip gets in with a netrc named by
// NETRC, as a pip step with a netrc secret does.
func TestIndexRequiresCredentials(t *testing.T) {
	ix := pyindex.New(t, probe(), pyindex.Wheel{Name: "macabox-dep", Version: "2.0"})
	ix.RequireAuth("reader", "s3cret")
	resp, err := http.Get(ix.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") || ix.Refused() != 1 {
		t.Errorf("without credentials: %d %q, %d refused", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), ix.Refused())
	}

	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 with pip is needed to test the index against a real pip: %v", err)
	}
	dir := t.TempDir()
	netrc := filepath.Join(dir, "netrc")
	host, _, _ := strings.Cut(ix.Host(), ":")
	if err := os.WriteFile(netrc, []byte("machine "+host+" login reader password s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NETRC", netrc)
	pip(t, python, "download", "-d", filepath.Join(dir, "w"), "macabox-probe==1.0", "--index-url", ix.URL())
	if ix.Count(probe().Filename()) != 1 {
		t.Errorf("pip did not download %s with the netrc", probe().Filename())
	}
}
