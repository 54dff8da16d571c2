package pipeline_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
	"github.com/ccf-ai-infra/macabox/internal/testenv/pyindex"
)

// lockWorld is a recipe tree on the simulated base whose inputs the test
// moves: a package index behind a switchable front, a git repository served
// by git daemon, and a file server.
type lockWorld struct {
	t     *testing.T
	env   testenv.Env
	root  string
	index *switchable
	git   *gitServer
	files *fileServer
}

func newLockWorld(t *testing.T) *lockWorld {
	env := testenv.Require(t)
	w := &lockWorld{t: t, env: env, root: t.TempDir()}
	w.index = newSwitchable(t, pyindex.New(t, probeOK).URL())
	w.git = newGitServer(t)
	w.files = newFileServer(t, "first content\n")
	return w
}

// write puts the tree's recipes in place: the simulated base, a layer with
// apt, pip and git steps, and one with a download.
func (w *lockWorld) write(extraRun string) {
	w.t.Helper()
	sum := sha256.Sum256([]byte(w.files.content()))
	files := map[string]string{
		"images/sim.yaml": fmt.Sprintf(`apiVersion: macabox/v1
kind: Image
name: lock-sim
from: %s
simulated: true
maca: {version: 3.0.0.5}
python: {path: /opt/conda/bin/python3}
torch: %s
os: debian12
`, w.env.MacaSimRef, vendorTorch),
		"recipes/pins/pins.yaml": fmt.Sprintf(`apiVersion: macabox/v1
kind: Layer
name: pins-layer
steps:
  - apt: [git]
  - pip:
      packages: [macabox-probe]
      index: %s
      trustedHosts: [%q]
  - git:
      url: %s
      ref: main
      dest: /opt/checkout
  - run: |
      "$PYTHON" -c 'import macabox_probe; print(macabox_probe.__version__)' > /opt/probe-version.txt%s
---
apiVersion: macabox/v1
kind: Stack
name: pins
base: lock-sim
layers: [pins-layer]
`, w.index.URL(), w.index.Host(), w.git.url, extraRun),
		"recipes/dl/dl.yaml": fmt.Sprintf(`apiVersion: macabox/v1
kind: Layer
name: dl-layer
steps:
  - download:
      url: %s
      sha256: %s
      dest: /opt/file.txt
---
apiVersion: macabox/v1
kind: Stack
name: dl
base: lock-sim
layers: [dl-layer]
`, w.files.url(), hex.EncodeToString(sum[:])),
	}
	for name, body := range files {
		p := filepath.Join(w.root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *lockWorld) request() pipeline.RequestOptions {
	return pipeline.RequestOptions{
		Bases:    map[string]builder.NamedContext{w.env.MacaSimRef: {OCILayout: w.env.OCIStore, Digest: w.env.MacaSimDigest}},
		Epoch:    strconv.FormatInt(epoch, 10),
		Progress: "quiet",
	}
}

func (w *lockWorld) lock(target string, check bool) (*recipe.Lock, []byte, error) {
	w.t.Helper()
	res, err := pipeline.Lock(testContext(w.t), pipeline.LockOptions{
		Root: w.root, Targets: []string{target}, Request: w.request(),
		Builder: pipeline.BuilderOptions{Addr: w.env.BuildkitHost}, Check: check, Err: testLog{w.t},
	})
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(filepath.Join(w.root, "recipes", target, target+recipe.LockSuffix))
	if err != nil {
		w.t.Fatal(err)
	}
	return res[0].Lock, data, nil
}

// build builds target into an OCI layout and returns the manifest digest
// and the layout, or the build's error.
func (w *lockWorld) build(target string, locked, frozen bool) (string, string, error) {
	return w.buildWith(target, locked, frozen, false)
}

// buildOn builds target locked on another builder.
func (w *lockWorld) buildOn(addr, target string) error {
	w.t.Helper()
	req := w.request()
	req.Locked = true
	_, err := pipeline.Build(testContext(w.t), pipeline.BuildOptions{
		Root: w.root, Targets: []string{target}, Request: req, Err: testLog{w.t},
		Builder: pipeline.BuilderOptions{Addr: addr},
	})
	return err
}

// buildWith is build, optionally with every step run afresh, as on a
// reviewer's fresh builder, where nothing comes from a cache.
func (w *lockWorld) buildWith(target string, locked, frozen, noCache bool) (string, string, error) {
	w.t.Helper()
	req := w.request()
	req.Locked, req.Frozen, req.NoCache = locked, frozen, noCache
	dest := filepath.Join(testenv.TempDir(w.t), "oci")
	start := time.Now()
	res, err := pipeline.Build(testContext(w.t), pipeline.BuildOptions{
		Root: w.root, Targets: []string{target}, Request: req, Err: testLog{w.t},
		Builder: pipeline.BuilderOptions{Addr: w.env.BuildkitHost},
		Outputs: []builder.Output{{Type: builder.OutputOCI, Dest: dest}},
	})
	if err != nil {
		return "", "", err
	}
	w.t.Logf("built %s (locked %v) in %s: %s", target, locked, time.Since(start).Round(time.Millisecond), res[0].ManifestDigest)
	return res[0].ManifestDigest, dest, nil
}

// lockStatus is what `macabox list` says of target's lock.
func (w *lockWorld) lockStatus(target string) *pipeline.LockStatus {
	w.t.Helper()
	set, err := pipeline.LoadSet(w.root)
	if err != nil {
		w.t.Fatal(err)
	}
	return pipeline.LockStatusOf(set, target)
}

func (w *lockWorld) mustBuild(target string, locked bool) (string, string) {
	w.t.Helper()
	d, dest, err := w.build(target, locked, false)
	if err != nil {
		w.t.Fatalf("building %s (locked %v): %v", target, locked, err)
	}
	return d, dest
}

// TestLockedBuildIgnoresWhatMoved: the index offers a newer release and the
// branch advances after locking; a locked build gives the digest it gave
// before, an unlocked one takes the new ones. Then the locked release
// disappears from the index, and the locked build fails naming the package
// and both versions.
func TestLockedBuildIgnoresWhatMoved(t *testing.T) {
	t.Parallel()
	w := newLockWorld(t)
	w.write("")
	w.git.commit("first")

	l, first, err := w.lock("pins", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, again, err := w.lock("pins", false); err != nil || !bytes.Equal(first, again) {
		t.Fatalf("locking twice gave different bytes (%v):\n%s\n---\n%s", err, first, again)
	}
	if err := checkPinsLock(l, w.git.head()); err != nil {
		t.Fatalf("%v\n%s", err, first)
	}
	locked, layout := w.mustBuild("pins", true)
	if got := readImageFile(t, layout, locked, "opt/probe-version.txt"); got != "1.0\n" {
		t.Errorf("locked build installed probe %q", got)
	}

	// Everything moves.
	w.index.to(pyindex.New(t, probeOK, probeTwo).URL())
	w.git.commit("second")
	again, _ := w.mustBuild("pins", true)
	if again != locked {
		t.Errorf("a locked build after the index and the branch moved gave %s, before %s", again, locked)
	}
	unlocked, layout := w.mustBuild("pins", false)
	if unlocked == locked {
		t.Error("an unlocked build took nothing new")
	}
	if got := readImageFile(t, layout, unlocked, "opt/probe-version.txt"); got != "2.0\n" {
		t.Errorf("unlocked build installed probe %q, want the new 2.0", got)
	}
	if got := readImageFile(t, layout, unlocked, "opt/checkout/message.txt"); got != "second\n" {
		t.Errorf("unlocked build checked out %q, want the branch's new tip", got)
	}

	// The locked release is withdrawn: a builder without the step in its
	// cache cannot install it.
	w.index.to(pyindex.New(t, probeTwo).URL())
	_, _, err = w.buildWith("pins", true, false, true)
	for _, want := range []string{"macabox-probe", "1.0", "2.0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a locked build of a withdrawn release: %v; want it to name %q", err, want)
		}
	}
}

// checkPinsLock checks what the lock of the pins stack recorded.
func checkPinsLock(l *recipe.Lock, commit string) error {
	var apt, pip, git *recipe.LockedStep
	for i := range l.Steps {
		switch s := &l.Steps[i]; s.Kind.Value {
		case "apt":
			apt = s
		case "pip":
			pip = s
		case "git":
			git = s
		}
	}
	switch {
	case len(l.Bases) != 1 || l.Bases[0].Source.Value != "oci-layout":
		return errors.New("the simulated base is not recorded from its OCI layout")
	case apt == nil || !hasPackage(apt, "git"):
		return errors.New("the apt step's git package is not recorded")
	case pip == nil || len(pip.Packages) != 1 || pip.Packages[0].Version.Value != "1.0" || len(pip.Packages[0].SHA256.Value) != 64:
		return errors.New("the pip step's set is not macabox-probe 1.0 with its hash")
	case git == nil || git.Git.Commit.Value != commit:
		return fmt.Errorf("the git step is not at %s", commit)
	}
	return nil
}

func hasPackage(s *recipe.LockedStep, name string) bool {
	for _, p := range s.Packages {
		if p.Name.Value == name && p.Version.Value != "" && p.Archive.Value != "" {
			return true
		}
	}
	return false
}

// TestLockedAptInstallsWhatWasRecorded: a locked apt step installs exactly
// the recorded versions (the unlocked build of the same day installs the
// same), and a pin the mirror lacks fails naming the package, the pin and
// what the mirror offers.
func TestLockedAptInstallsWhatWasRecorded(t *testing.T) {
	t.Parallel()
	w := newLockWorld(t)
	w.write("\n      dpkg-query -W -f='${Package} ${Version}\\n' | sort > /opt/dpkg.txt")
	w.git.commit("first")
	if _, _, err := w.lock("pins", false); err != nil {
		t.Fatal(err)
	}
	locked, layout := w.mustBuild("pins", true)
	unlocked, layout2 := w.mustBuild("pins", false)
	if a, b := readImageFile(t, layout, locked, "opt/dpkg.txt"), readImageFile(t, layout2, unlocked, "opt/dpkg.txt"); a != b {
		t.Errorf("locked and unlocked builds of the same day installed different packages:\n%s\n---\n%s", a, b)
	}

	file := filepath.Join(w.root, "recipes", "pins", "pins"+recipe.LockSuffix)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	l, err := recipe.ParseLock(file, data)
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, s := range l.Steps {
		for _, p := range s.Packages {
			if s.Kind.Value == "apt" && p.Name.Value == "git" {
				version = p.Version.Value
			}
		}
	}
	edited := strings.Replace(string(data), "version: "+version+"\n", "version: 0.0.1-macabox\n", 1)
	if edited == string(data) {
		t.Fatalf("git %q not found in the lock:\n%s", version, data)
	}
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = w.build("pins", true, false)
	for _, want := range []string{"the lock pins apt package git at 0.0.1-macabox", "the archive offers: " + version} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a pin the mirror lacks: %v; want %q", err, want)
		}
	}
}

// TestLockedDownloadAndFrozen: a download whose content changed after
// locking fails with the digest named; --frozen and lock --check refuse a
// recipe edited since it was locked, naming the step.
func TestLockedDownloadAndFrozen(t *testing.T) {
	t.Parallel()
	w := newLockWorld(t)
	w.write("")
	w.git.commit("first")
	l, _, err := w.lock("dl", false)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := l.Step("dl-layer#1"); !ok || s.Download == nil || s.Download.URL.Value != w.files.url() {
		t.Fatalf("the download is not recorded: %+v", l.Steps)
	}
	if _, _, err := w.build("dl", true, false); err != nil {
		t.Fatal(err)
	}
	// A builder that has not fetched the file before finds it changed (one
	// that has keeps the content the checksum names, which is the point).
	w.files.set("changed content\n")
	err = w.buildOn(testenv.StartBuildkitd(t).Addr, "dl")
	if err == nil || !strings.Contains(err.Error(), "sha256:") {
		t.Errorf("a download that changed: %v; want the digest named", err)
	}

	if _, _, err := w.lock("pins", false); err != nil {
		t.Fatal(err)
	}
	if st := w.lockStatus("pins"); st == nil || !st.Current {
		t.Errorf("lock status after locking: %+v, want current", st)
	}
	w.write("\n      echo edited > /opt/edited.txt")
	if st := w.lockStatus("pins"); st == nil || st.Current {
		t.Errorf("lock status after an edit: %+v, want stale", st)
	}
	_, _, err = w.build("pins", true, true)
	if !errors.Is(err, pipeline.ErrStale) || !strings.Contains(err.Error(), "pins-layer#4") {
		t.Errorf("--frozen after an edit: %v; want it stale, naming step pins-layer#4", err)
	}
	if _, _, err := w.lock("pins", true); !errors.Is(err, pipeline.ErrStale) || !strings.Contains(err.Error(), "pins-layer#4 (") {
		t.Errorf("lock --check after an edit: %v", err)
	}

	// A lock for another target is refused by name.
	pinsLock, err := os.ReadFile(filepath.Join(w.root, "recipes", "pins", "pins"+recipe.LockSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.root, "recipes", "dl", "dl"+recipe.LockSuffix), pinsLock, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.build("dl", true, false); err == nil || !strings.Contains(err.Error(), "this lock is for pins, not dl") {
		t.Errorf("a lock of another target: %v", err)
	}
}

var probeTwo = pyindex.Wheel{Name: "macabox-probe", Version: "2.0", Requires: []string{"torch"}}

// switchable is a package index front whose URL stays while what it serves
// changes: the recipes name one index for the whole test.
type switchable struct {
	srv    *http.Server
	addr   string
	target atomic.Pointer[url.URL]
}

func newSwitchable(t *testing.T, backend string) *switchable {
	s := &switchable{}
	s.to(backend)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		u := s.target.Load()
		r.SetURL(&url.URL{Scheme: u.Scheme, Host: u.Host})
	}}
	s.srv = &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

func (s *switchable) to(backend string) {
	u, err := url.Parse(backend)
	if err != nil {
		panic(err)
	}
	s.target.Store(u)
}

func (s *switchable) URL() string  { return "http://" + s.addr + "/simple/" }
func (s *switchable) Host() string { return s.addr }

// gitServer is a bare repository served by git daemon on loopback.
type gitServer struct {
	t    *testing.T
	bare string
	work string
	url  string
}

func newGitServer(t *testing.T) *gitServer {
	dir := t.TempDir()
	g := &gitServer{t: t, bare: filepath.Join(dir, "repo.git"), work: filepath.Join(dir, "work")}
	g.git(dir, "init", "-q", "--bare", "-b", "main", g.bare)
	g.git(dir, "init", "-q", "-b", "main", g.work)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", "--port="+strconv.Itoa(port), "--base-path="+dir, dir)
	if err := cmd.Start(); err != nil {
		t.Fatalf("git daemon: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	g.url = fmt.Sprintf("git://127.0.0.1:%d/repo.git", port)
	for start := time.Now(); ; {
		if c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("git daemon did not listen")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return g
}

func (g *gitServer) git(dir string, args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit advances main to a commit whose message.txt says message.
func (g *gitServer) commit(message string) {
	if err := os.WriteFile(filepath.Join(g.work, "message.txt"), []byte(message+"\n"), 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.git(g.work, "add", "message.txt")
	g.git(g.work, "commit", "-q", "-m", message)
	g.git(g.work, "push", "-q", g.bare, "main")
}

func (g *gitServer) head() string { return g.git(g.work, "rev-parse", "HEAD") }

// fileServer serves one file whose content the test can change.
type fileServer struct {
	srv  *http.Server
	addr string
	mu   sync.Mutex
	body string
}

func newFileServer(t *testing.T, body string) *fileServer {
	f := &fileServer{body: body}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	f.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(f.content()))
	})}
	go func() { _ = f.srv.Serve(ln) }()
	t.Cleanup(func() { _ = f.srv.Close() })
	return f
}

func (f *fileServer) url() string { return "http://" + f.addr + "/file.txt" }

func (f *fileServer) content() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.body
}

func (f *fileServer) set(body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body = body
}

// TestLockedBaseIsPinnedByDigest: a base named by a registry tag is locked
// by the digest BuildKit resolves; when the tag moves to another image, a
// locked build still starts from the locked one, an unlocked build does not.
func TestLockedBaseIsPinnedByDigest(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	raw := make([]byte, 4)
	_, _ = rand.Read(raw)
	moving := env.Registry + "/macabox-lock-" + hex.EncodeToString(raw) + "/base:moving"
	copyImage(t, env.MacaSimRegistryRef, moving)

	root := t.TempDir()
	files := map[string]string{
		"images/base.yaml": fmt.Sprintf("apiVersion: macabox/v1\nkind: Image\nname: moving-base\nfrom: %s\nsimulated: true\nmaca: {version: 3.0.0.5}\nos: debian12\n", moving),
		"recipes/app/app.yaml": `apiVersion: macabox/v1
kind: Layer
name: app
steps:
  - run: echo built > /opt/app.txt
---
apiVersion: macabox/v1
kind: Stack
name: app-stack
base: moving-base
layers: [app]
`,
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	req := pipeline.RequestOptions{Epoch: strconv.FormatInt(epoch, 10), Progress: "quiet"}
	builderOpts := pipeline.BuilderOptions{Addr: env.BuildkitHost}
	res, err := pipeline.Lock(testContext(t), pipeline.LockOptions{Root: root, Targets: []string{"app-stack"}, Request: req, Builder: builderOpts, Err: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	if b := res[0].Lock.Bases; len(b) != 1 || b[0].Source.Value != "registry" || b[0].Digest.Value != env.MacaSimDigest {
		t.Fatalf("base recorded as %+v, want %s from the registry", b, env.MacaSimDigest)
	}
	build := func(locked bool) string {
		t.Helper()
		r := req
		r.Locked = locked
		out, err := pipeline.Build(testContext(t), pipeline.BuildOptions{Root: root, Targets: []string{"app-stack"}, Request: r, Builder: builderOpts, Err: testLog{t}})
		if err != nil {
			t.Fatalf("build (locked %v): %v", locked, err)
		}
		return out[0].ManifestDigest
	}
	before := build(true)
	copyImage(t, env.DebianRegistryRef, moving)
	if after := build(true); after != before {
		t.Errorf("after the tag moved, the locked build gave %s, before %s", after, before)
	}
	if unlocked := build(false); unlocked == before {
		t.Error("after the tag moved, an unlocked build still gave the old image")
	}
}

// copyImage copies an image between references of the test world's
// registry with skopeo, as a registry user moving a tag would.
func copyImage(t *testing.T, from, to string) {
	t.Helper()
	policy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policy, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("skopeo", "--policy", policy, "copy", "--quiet", "--preserve-digests",
		"--src-tls-verify=false", "--dest-tls-verify=false", "docker://"+from, "docker://"+to).CombinedOutput()
	if err != nil {
		t.Fatalf("skopeo copy %s %s: %v\n%s", from, to, err, out)
	}
}

// TestLockedExportReproduces: the bundle of a locked target carries the
// very lock it was built with and says nothing is left unlocked; after the
// index and the branch moved on, a fresh buildkitd rebuilds it to the
// exported digest.
func TestLockedExportReproduces(t *testing.T) {
	t.Parallel()
	lw := newLockWorld(t)
	lw.write("")
	lw.git.commit("first")
	_, lockData, err := lw.lock("pins", false)
	if err != nil {
		t.Fatal(err)
	}
	lw.index.to(pyindex.New(t, probeOK, probeTwo).URL())
	lw.git.commit("second")

	w := newWorld(t, lw.env.BuildkitHost)
	out := filepath.Join(testenv.TempDir(t), "bundle")
	req := lw.request()
	req.Tags = []string{w.tag("pins")}
	res, err := pipeline.Export(testContext(t), pipeline.ExportOptions{
		Root: lw.root, Target: "pins", Out: out, Request: req,
		Builder: pipeline.BuilderOptions{Addr: lw.env.BuildkitHost}, Err: testLog{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Expected
	if e.Lock == nil || !e.Lock.Current || e.Lock.File != bundle.LockName || len(e.Unlocked) != 0 {
		t.Fatalf("expected.json says lock %+v, unlocked %+v", e.Lock, e.Unlocked)
	}
	files := bundleFiles(t, out)
	if !bytes.Equal(files[bundle.LockName], lockData) {
		t.Errorf("the bundle's %s is not the lock the build used:\n%s", bundle.LockName, files[bundle.LockName])
	}
	if !strings.Contains(string(files["README.md"]), "`lock.yaml`") || !strings.Contains(string(files["PR.md"]), "[x] Locked inputs") {
		t.Error("README.md or PR.md does not say the build was locked")
	}

	fresh := testenv.StartBuildkitd(t)
	rep := newWorld(t, fresh.Addr).reproduce(out, nil, nil)
	if rep.Verdict != bundle.VerdictReproduced || rep.Actual.ManifestDigest != e.ManifestDigest {
		t.Fatalf("verdict %q (%s): rebuilt %s, exported %s", rep.Verdict, rep.Reason, rep.Actual.ManifestDigest, e.ManifestDigest)
	}
	if rep.Lock == nil || len(rep.Unlocked) != 0 {
		t.Errorf("the reproduce report says lock %+v, unlocked %+v", rep.Lock, rep.Unlocked)
	}
}
