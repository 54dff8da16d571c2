package pipeline_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/testenv"
	"github.com/ccf-ai-infra/macabox/internal/testenv/pyindex"
)

// httpGitServer serves one repository over HTTP on 127.0.0.1 through git's own
// http-backend, answering only requests that carry the token as a password,
// as a private repository on a forge does.
type httpGitServer struct {
	url, commit string

	mu                  sync.Mutex
	authorized, refused int
}

const gitFile = "fetched with a token\n"

func newHTTPGitServer(t *testing.T, token string) *httpGitServer {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed to serve a repository: %v", err)
	}
	dir := t.TempDir()
	env := append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=macabox", "GIT_AUTHOR_EMAIL=test@macabox.invalid",
		"GIT_COMMITTER_NAME=macabox", "GIT_COMMITTER_EMAIL=test@macabox.invalid")
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(gitBin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	work := filepath.Join(dir, "work")
	git("init", "-q", work)
	if err := os.WriteFile(filepath.Join(work, "hello.txt"), []byte(gitFile), 0o644); err != nil {
		t.Fatal(err)
	}
	git("-C", work, "add", "hello.txt")
	git("-C", work, "commit", "-q", "-m", "private")
	root := filepath.Join(dir, "srv")
	git("clone", "-q", "--bare", work, filepath.Join(root, "private.git"))
	git("-C", filepath.Join(root, "private.git"), "config", "uploadpack.allowReachableSHA1InWant", "true")

	s := &httpGitServer{commit: git("-C", work, "rev-parse", "HEAD")}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir},
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		s.mu.Lock()
		if !ok || user != "x-access-token" || password != token {
			s.refused++
			s.mu.Unlock()
			w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
			http.Error(w, "credentials required", http.StatusUnauthorized)
			return
		}
		s.authorized++
		s.mu.Unlock()
		backend.ServeHTTP(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	s.url = srv.URL + "/private.git"
	return s
}

func (s *httpGitServer) counts() (authorized, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authorized, s.refused
}

// secretValue is a random value no build could produce by chance.
func secretValue(t *testing.T, prefix string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// TestCredentialsFromBuildSecrets builds, on the real buildkitd, a git step
// from a repository that needs a token and a pip step from an index that
// needs a password, each given as a build secret the way the command line
// gives them (--secret id=gittoken,env=GIT_TOKEN, --secret
// id=pipnetrc,src=FILE). Neither value may appear in any blob of the image
// (layers, config, history), the plan, the Dockerfile or the build log.
// Without the secret the git step fails and says which secret was missing.
func TestCredentialsFromBuildSecrets(t *testing.T) {
	t.Parallel()
	env := testenv.Require(t)
	token := secretValue(t, "gittok-")
	password := secretValue(t, "pippw-")
	srv := newHTTPGitServer(t, token)
	ix := pyindex.New(t, probeOK)
	ix.RequireAuth("reader", password)

	root := t.TempDir()
	netrc := filepath.Join(root, "netrc")
	host, _, _ := strings.Cut(ix.Host(), ":")
	writeTestFile(t, netrc, fmt.Sprintf("machine %s login reader password %s\n", host, password))
	writeTestFile(t, filepath.Join(root, "images", "sim.yaml"), fmt.Sprintf(`apiVersion: macabox/v1
kind: Image
name: secret-sim
description: the SIMULATED MACA base of the test world
from: %s
simulated: true
maca: {version: 3.0.0.5}
python: {path: /opt/conda/bin/python3}
`, env.MacaSimRef))
	for _, c := range []struct{ name, dest string }{{"private", "/opt/private"}, {"missing", "/opt/missing"}} {
		writeTestFile(t, filepath.Join(root, "recipes", "private", c.name+".yaml"), fmt.Sprintf(`apiVersion: macabox/v1
kind: Layer
name: %[1]s-layer
steps:
  - apt: [git]
  - git: {url: "%[2]s", commit: %[3]s, dest: %[4]s, token: gittoken}
  - pip: {packages: ["%[5]s==%[6]s"], index: "%[7]s", netrc: pipnetrc}
  - run: cat %[4]s/hello.txt > /opt/probe.txt && python3 -c 'import macabox_probe'
---
apiVersion: macabox/v1
kind: Stack
name: %[1]s
base: secret-sim
layers: [%[1]s-layer]
`, c.name, srv.url, srv.commit, c.dest, probeOK.Name, probeOK.Version, ix.URL()))
	}
	set, err := recipe.LoadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatalf("the test's recipes are invalid:\n%v", errs)
	}
	gitSecret, err := builder.ParseSecret("id=gittoken,env=GIT_TOKEN")
	if err != nil {
		t.Fatal(err)
	}
	pipSecret, err := builder.ParseSecret("id=pipnetrc,src=" + netrc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	b := connect(t, env.BuildkitHost)
	out := testenv.TempDir(t)
	build := func(target string, secrets ...builder.Secret) (*pipeline.Prepared, *builder.Result, string, error) {
		t.Helper()
		pr, err := pipeline.Prepare(set, target, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		progress, err := builder.NewProgress(ctx, &log, "plain")
		if err != nil {
			t.Fatal(err)
		}
		e := epoch
		req := pr.Request(pipeline.RequestOptions{
			Bases:     map[string]builder.NamedContext{env.MacaSimRef: {OCILayout: env.OCIStore, Digest: env.MacaSimDigest}},
			Secrets:   secrets,
			LookupEnv: func(name string) (string, bool) { return token, name == "GIT_TOKEN" },
		})
		req.Epoch, req.Progress = &e, progress
		req.Outputs = []builder.Output{{Type: builder.OutputOCI, Dest: filepath.Join(out, target)}}
		res, err := b.Build(ctx, req)
		if cerr := progress.Close(); cerr != nil && err == nil {
			err = cerr
		}
		return pr, res, log.String(), err
	}

	pr, res, log, err := build("private", gitSecret, pipSecret)
	if err != nil {
		t.Fatalf("build with the secrets: %v\n%s", err, log)
	}
	if got := readImageFile(t, filepath.Join(out, "private"), res.ManifestDigest, "opt/probe.txt"); got != gitFile {
		t.Errorf("the image holds %q from the repository, want %q", got, gitFile)
	}
	if authorized, _ := srv.counts(); authorized == 0 {
		t.Error("the git server answered no request with the token")
	}
	if ix.Count(probeOK.Filename()) == 0 {
		t.Errorf("the index never served %s", probeOK.Filename())
	}
	planJSON, err := json.Marshal(pr.Plan)
	if err != nil {
		t.Fatal(err)
	}
	where := map[string][]byte{"the plan": planJSON, "the Dockerfile": pr.Rendered.Dockerfile, "the build log": []byte(log)}
	for name, data := range where {
		assertNoSecret(t, name, data, token, password)
	}
	assertNoSecretInLayout(t, filepath.Join(out, "private"), token, password)

	// Without the secret the git step runs without credentials, and the
	// server's refusal comes with the name of the secret to give.
	_, refusedBefore := srv.counts()
	_, _, log, err = build("missing", pipSecret)
	var se *builder.StepError
	if !errors.As(err, &se) {
		t.Fatalf("build without the git token: %v, want the git step to fail\n%s", err, log)
	}
	if msg := err.Error() + log; !strings.Contains(msg, "macabox: no build secret gittoken (--secret id=gittoken,env=VAR)") {
		t.Errorf("the failure does not name the missing secret:\n%s", msg)
	}
	if _, refused := srv.counts(); refused == refusedBefore {
		t.Error("the git server refused nothing: the step did not reach it")
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func assertNoSecret(t *testing.T, where string, data []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("%s holds the secret %s…", where, s[:7])
		}
	}
}

// assertNoSecretInLayout looks for the secrets in every file of an OCI
// layout, the compressed layers once uncompressed.
func assertNoSecretInLayout(t *testing.T, layout string, secrets ...string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(layout, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		assertNoSecret(t, path, data, secrets...)
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			plain, err := io.ReadAll(zr)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			assertNoSecret(t, path+" (uncompressed)", plain, secrets...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Fatalf("only %d files in the layout %s", n, layout)
	}
}
