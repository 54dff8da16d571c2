package builder

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

const appDockerfile = `FROM busybox
COPY app.sh /usr/local/bin/app.sh
COPY conf/app.conf /etc/app.conf
RUN mkdir -p /var/lib/app && /usr/local/bin/app.sh > /var/lib/app/out.txt
`

func writeAppFiles(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"app.sh":        filepath.Join(dir, "app.sh"),
		"conf/app.conf": filepath.Join(dir, "app.conf"),
	}
	if err := os.WriteFile(files["app.sh"], []byte("#!/bin/sh\necho hello from app\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files["conf/app.conf"], []byte("level=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return files
}

func appRequest(t *testing.T, base NamedContext, files map[string]string, dest string) Request {
	epoch := int64(1712345678)
	return Request{
		Name:       "app",
		Dockerfile: []byte(appDockerfile),
		Files:      files,
		Contexts:   map[string]NamedContext{"busybox": base},
		Epoch:      &epoch,
		Outputs:    []Output{{Type: OutputOCI, Dest: dest}},
	}
}

// TestReproducible is the promise of the project: the same Dockerfile and
// context give the same manifest digest after the cache is pruned, after the
// context files are touched, and on a fresh buildkitd root.
func TestReproducible(t *testing.T) {
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	base := busyboxBase(t, b)
	files := writeAppFiles(t)
	out := t.TempDir()

	build := func(label string) *Result {
		t.Helper()
		start := time.Now()
		res, err := b.Build(ctx, appRequest(t, base, files, filepath.Join(out, label)))
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		t.Logf("%s: %s in %v (%d/%d steps cached: %q)", label, res.ManifestDigest, time.Since(start).Round(time.Millisecond), res.CachedSteps, res.Steps, res.CachedStepNames)
		return res
	}
	first := build("first")
	if !strings.HasPrefix(first.ManifestDigest, "sha256:") || first.ConfigDigest == "" {
		t.Fatalf("result lacks digests: %+v", first)
	}

	noop := build("no-op")
	if noop.ManifestDigest != first.ManifestDigest {
		t.Errorf("no-op rebuild: %s != %s", noop.ManifestDigest, first.ManifestDigest)
	}
	if noop.CachedSteps == 0 {
		t.Errorf("no-op rebuild reused nothing from cache")
	}

	// A build with no output still names its digest, and it is the same.
	bare := appRequest(t, base, files, "")
	bare.Outputs = nil
	if res, err := b.Build(ctx, bare); err != nil {
		t.Errorf("build without outputs: %v", err)
	} else if res.ManifestDigest != first.ManifestDigest {
		t.Errorf("build without outputs: digest %q, want %s", res.ManifestDigest, first.ManifestDigest)
	}

	if err := b.bk.Prune(ctx, nil, bkclient.PruneAll); err != nil {
		t.Fatal(err)
	}
	if got := build("after prune").ManifestDigest; got != first.ManifestDigest {
		t.Errorf("after prune: %s != %s", got, first.ManifestDigest)
	}

	later := time.Now().Add(time.Hour)
	for _, src := range files {
		if err := os.Chtimes(src, later, later); err != nil {
			t.Fatal(err)
		}
	}
	if got := build("after touch").ManifestDigest; got != first.ManifestDigest {
		t.Errorf("after touching the context: %s != %s", got, first.ManifestDigest)
	}

	fresh := connect(t, startBuildkitd(t))
	res, err := fresh.Build(ctx, appRequest(t, base, files, filepath.Join(out, "fresh")))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fresh buildkitd: %s", res.ManifestDigest)
	if res.ManifestDigest != first.ManifestDigest {
		t.Errorf("fresh buildkitd: %s != %s", res.ManifestDigest, first.ManifestDigest)
	}
	if res.BaseDigests["busybox"] != base.Digest {
		t.Errorf("base digests %v lack busybox=%s", res.BaseDigests, base.Digest)
	}
}

// TestContextChangeSameSize guards the fixed-mtime context: an edit that
// keeps the file's size must still reach the build.
func TestContextChangeSameSize(t *testing.T) {
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	base := busyboxBase(t, b)
	files := writeAppFiles(t)
	out := t.TempDir()
	first, err := b.Build(ctx, appRequest(t, base, files, filepath.Join(out, "a")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files["conf/app.conf"], []byte("level=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	second, err := b.Build(ctx, appRequest(t, base, files, filepath.Join(out, "b")))
	if err != nil {
		t.Fatal(err)
	}
	if first.ManifestDigest == second.ManifestDigest {
		t.Fatalf("same digest %s after changing a context file", first.ManifestDigest)
	}
}

func TestFailingRunNamesRecipeLine(t *testing.T) {
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	base := busyboxBase(t, b)
	df := "FROM busybox\n" +
		"RUN echo preparing\n" +
		"RUN for i in $(seq 1 30); do echo line $i; done; \\\n" +
		"    sleep 0.2; echo about to fail >&2; exit 3\n"
	var origins []int
	_, err := b.Build(ctx, Request{
		Dockerfile: []byte(df),
		Contexts:   map[string]NamedContext{"busybox": base},
		Origin: func(line int) (string, bool) {
			origins = append(origins, line)
			return "recipes/demo.yaml:17", line == 3
		},
	})
	var se *StepError
	if !errorAs(err, &se) {
		t.Fatalf("want a StepError, got %v", err)
	}
	msg := err.Error()
	t.Logf("error:\n%s", msg)
	for _, want := range []string{"recipes/demo.yaml:17", "echo about to fail", "exit code: 3", "line 30", "about to fail"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if strings.Contains(msg, "line 10\n") {
		t.Errorf("error shows more than the tail of the log")
	}
	if se.Log[len(se.Log)-1] != "about to fail" {
		t.Errorf("log tail does not end with the step's last line: %q", se.Log)
	}
	if se.Line != 3 || len(se.Log) != logTailLines {
		t.Errorf("line %d, %d log lines; want 3 and %d", se.Line, len(se.Log), logTailLines)
	}
}

func TestBuildManySharesBase(t *testing.T) {
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	base := busyboxBase(t, b)
	out := t.TempDir()
	var progress bytes.Buffer
	p, err := NewProgress(ctx, &progress, "plain")
	if err != nil {
		t.Fatal(err)
	}
	epoch := int64(1712345678)
	results, err := b.BuildMany(ctx, []Request{
		{
			Name:       "maca-sim",
			Dockerfile: []byte("FROM busybox\nRUN mkdir -p /opt/maca && echo 3.0.0.5-sim > /opt/maca/Version.txt\n"),
			Contexts:   map[string]NamedContext{"busybox": base},
			Epoch:      &epoch,
			Progress:   p,
		},
		{
			Name:       "app-a",
			Dockerfile: []byte("FROM maca\nRUN cat /opt/maca/Version.txt > /a\n"),
			Contexts:   map[string]NamedContext{"maca": {Target: "maca-sim"}},
			Outputs:    []Output{{Type: OutputOCI, Dest: filepath.Join(out, "a.tar")}},
			Epoch:      &epoch,
			Progress:   p,
		},
		{
			Name:       "app-b",
			Dockerfile: []byte("FROM maca\nRUN cat /opt/maca/Version.txt > /b\n"),
			Contexts:   map[string]NamedContext{"maca": {Target: "maca-sim"}},
			Outputs:    []Output{{Type: OutputDocker, Dest: filepath.Join(out, "b.tar")}},
			Epoch:      &epoch,
			Progress:   p,
		},
	})
	if cerr := p.Close(); cerr != nil {
		t.Error(cerr)
	}
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	for _, r := range results[1:] {
		if r.BaseDigests["maca"] != results[0].ManifestDigest {
			t.Errorf("%s: base %v, want maca=%s", r.Name, r.BaseDigests, results[0].ManifestDigest)
		}
	}
	for _, f := range []string{"a.tar", "b.tar"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("output %s missing or empty: %v", f, err)
		}
	}
	if results[1].ManifestDigest == "" || results[1].ManifestDigest == results[2].ManifestDigest {
		t.Errorf("two different targets got the same digest")
	}
	if n := strings.Count(progress.String(), "echo 3.0.0.5-sim"); n == 0 {
		t.Errorf("base step not in the progress output")
	}
}
