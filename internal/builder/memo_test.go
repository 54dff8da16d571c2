package builder

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	dockerclient "github.com/moby/moby/client"
	digest "github.com/opencontainers/go-digest"
)

// TestExportMemoSkipsTheExport: a rebuild whose result was exported before
// skips the export when its outputs hold the image: Docker's image is
// tagged, an image Docker lost comes from the load cache, an OCI directory
// is indexed, a build with no output prints the digest. Each gives exactly
// the digests a full build with its export gives; another result, or an
// output that lacks the image, means an export.
func TestExportMemoSkipsTheExport(t *testing.T) {
	dc := requireDocker(t)
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	b.exportMemo = filepath.Join(t.TempDir(), "memo.json")
	b.loadCache = filepath.Join(t.TempDir(), "load")
	base := busyboxBase(t, b)
	files := writeAppFiles(t)
	tag := uniqueTag(t, "macabox-test/memo")
	removeImageOnCleanup(t, dc, tag)

	build := func(label string, outputs ...Output) *Result {
		t.Helper()
		req := appRequest(t, base, files, "")
		req.Outputs, req.Tags = outputs, []string{tag}
		res, err := b.Build(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		removeImageOnCleanup(t, dc, res.ConfigDigest)
		t.Logf("%s: %s, from the memo: %v, already loaded: %v, layers sent: %d", label, res.ManifestDigest, res.FromExportMemo, res.AlreadyLoaded, res.LayersSent)
		return res
	}
	load := Output{Type: OutputLoad}

	first := build("first", load)
	if first.FromExportMemo {
		t.Fatal("the first build came from an empty memo")
	}
	memo, err := os.ReadFile(b.exportMemo)
	if err != nil || !bytes.Contains(memo, []byte(first.ManifestDigest)) {
		t.Fatalf("the first build recorded nothing in the memo (%v):\n%s", err, memo)
	}

	same := func(label string, res *Result) {
		t.Helper()
		if !res.FromExportMemo || res.ManifestDigest != first.ManifestDigest || res.ConfigDigest != first.ConfigDigest {
			t.Errorf("%s: from the memo %v, %s / %s (first build %s / %s)", label, res.FromExportMemo,
				res.ManifestDigest, res.ConfigDigest, first.ManifestDigest, first.ConfigDigest)
		}
	}
	again := build("again, docker holds it", load)
	same("again", again)
	if !again.AlreadyLoaded {
		t.Error("again: docker held the image, but it was not just tagged")
	}

	if _, err := dc.ImageRemove(ctx, first.ConfigDigest, dockerclient.ImageRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	fromCache := build("docker lost it", load)
	same("docker lost it", fromCache)
	if fromCache.AlreadyLoaded || fromCache.LayersSent == 0 {
		t.Errorf("docker lost it: already loaded %v, %d layers sent", fromCache.AlreadyLoaded, fromCache.LayersSent)
	}
	if got, err := dc.ImageInspect(ctx, tag); err != nil || got.ID != first.ConfigDigest {
		t.Errorf("after a load from the cache, %s is %q (%v), want the built config digest %s", tag, got.ID, err, first.ConfigDigest)
	}

	none := build("no output")
	same("no output", none)

	// An OCI directory: a new one is written by a full export; once it
	// holds the image, the memo only indexes it, exactly as the export did.
	out := filepath.Join(t.TempDir(), "oci")
	oci := Output{Type: OutputOCI, Dest: out}
	written := build("new oci directory", oci)
	if written.FromExportMemo || written.ManifestDigest != first.ManifestDigest {
		t.Errorf("new oci directory: from the memo %v, %s", written.FromExportMemo, written.ManifestDigest)
	}
	fullIndex, err := os.ReadFile(filepath.Join(out, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "index.json"), []byte(`{"schemaVersion":2,"manifests":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	same("oci directory again", build("oci directory again", oci))
	if got, _ := os.ReadFile(filepath.Join(out, "index.json")); !bytes.Equal(got, fullIndex) {
		t.Errorf("index.json from the memo:\n%s\nfrom the export:\n%s", got, fullIndex)
	}
	layer, err := layoutBlobPath(out, digest.Digest(lastLayer(t, out, first.ManifestDigest)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(layer); err != nil {
		t.Fatal(err)
	}
	if lost := build("oci directory lost a layer", oci); lost.FromExportMemo || lost.ManifestDigest != first.ManifestDigest {
		t.Errorf("an OCI directory without a layer counted as holding the image (from the memo %v, %s)", lost.FromExportMemo, lost.ManifestDigest)
	}

	// Without the memo, the export gives the very digests the memo gave.
	b.exportMemo = ""
	full := build("no memo", load)
	if full.FromExportMemo || full.ManifestDigest != first.ManifestDigest || full.ConfigDigest != first.ConfigDigest {
		t.Errorf("full export: %s / %s, the memo gave %s / %s", full.ManifestDigest, full.ConfigDigest, first.ManifestDigest, first.ConfigDigest)
	}

	// Another result is not the one recorded.
	b.exportMemo = filepath.Join(t.TempDir(), "memo2.json")
	build("fills a second memo", load)
	if err := os.WriteFile(files["app.sh"], []byte("#!/bin/sh\necho changed\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if changed := build("changed", load); changed.FromExportMemo || changed.ManifestDigest == first.ManifestDigest {
		t.Errorf("a changed file: from the memo %v, %s", changed.FromExportMemo, changed.ManifestDigest)
	}
}

// lastLayer is the digest of the top layer of the image in the layout.
func lastLayer(t *testing.T, dir, manifest string) string {
	t.Helper()
	im, err := OpenLayoutImage(dir, manifest)
	if err != nil {
		t.Fatal(err)
	}
	return im.Manifest.Layers[len(im.Manifest.Layers)-1].Digest.String()
}

// TestExportMemoNeedsEveryStepCached: the export solve that follows a
// probe records its image only when every Dockerfile step came from the
// cache; frontend and export vertexes never count.
func TestExportMemoNeedsEveryStepCached(t *testing.T) {
	now := time.Now()
	vertex := func(name string, cached bool) *bkclient.Vertex {
		return &bkclient.Vertex{Digest: digest.FromString(name), Name: name, Started: &now, Completed: &now, Cached: cached}
	}
	tapOf := func(vs ...*bkclient.Vertex) *solveTap {
		tap := (*Progress)(nil).newTap(tapRepeat)
		tap.ch <- &bkclient.SolveStatus{Vertexes: vs}
		close(tap.ch)
		tap.wait()
		return tap
	}
	bookkeeping := []*bkclient.Vertex{
		vertex("[internal] load build context", false),
		vertex("[context busybox] OCI load from client", false),
		vertex("exporting to oci image format", false),
	}
	cached := tapOf(append(bookkeeping, vertex("[stage-0 2/3] COPY app.sh /usr/local/bin/app.sh", true), vertex("[app 3/3] RUN make", true))...)
	if !cached.stepsCached() {
		t.Error("every step cached, yet not counted as such")
	}
	ran := tapOf(append(bookkeeping, vertex("[stage-0 2/3] COPY app.sh /usr/local/bin/app.sh", true), vertex("[app 3/3] RUN make", false))...)
	if ran.stepsCached() {
		t.Error("a step that ran again counted as cached")
	}
}

// TestRepeatedSolveShowsOnlyNews: the display of an export after its probe
// leaves out the steps the cache answered and BuildKit's bookkeeping, and
// keeps the export and any step that ran.
func TestRepeatedSolveShowsOnlyNews(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(context.Background(), &buf, "plain")
	if err != nil {
		t.Fatal(err)
	}
	tap := p.newTap(tapRepeat)
	now := time.Now()
	v := func(name string, cached bool) *bkclient.Vertex {
		return &bkclient.Vertex{Digest: digest.FromString(name), Name: name, Started: &now, Completed: &now, Cached: cached}
	}
	tap.ch <- &bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{
		v("[internal] load build context", false),
		v("[stage-0 2/3] COPY app.sh /usr/local/bin/app.sh", true),
		v("[stage-0 3/3] RUN make", false),
		v("exporting to image", false),
	}}
	close(tap.ch)
	tap.wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"RUN make", "exporting to image"} {
		if !strings.Contains(out, want) {
			t.Errorf("the display lacks %q:\n%s", want, out)
		}
	}
	for _, hidden := range []string{"load build context", "COPY app.sh"} {
		if strings.Contains(out, hidden) {
			t.Errorf("the display repeats %q:\n%s", hidden, out)
		}
	}
}

// TestProbeExportIsNamedRaw: a probe's export shows as the raw export it is,
// so its manifest digest is not taken for the image's; the steps show as
// they are.
func TestProbeExportIsNamedRaw(t *testing.T) {
	var buf bytes.Buffer
	p, err := NewProgress(context.Background(), &buf, "plain")
	if err != nil {
		t.Fatal(err)
	}
	tap := p.newTap(tapProbe)
	now := time.Now()
	step := &bkclient.Vertex{Digest: digest.FromString("step"), Name: "[stage-0 2/3] RUN make", Started: &now, Completed: &now}
	export := &bkclient.Vertex{Digest: digest.FromString("export"), Name: "exporting to image", Started: &now, Completed: &now}
	tap.ch <- &bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{step, export}}
	close(tap.ch)
	tap.wait()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "exporting to image (raw, for the export memo)") || !strings.Contains(out, "RUN make") {
		t.Errorf("the probe's display:\n%s", out)
	}
	if export.Name != "exporting to image" || tap.names[export.Digest] != "exporting to image" {
		t.Errorf("renaming for the display changed the status itself: %q, recorded %q", export.Name, tap.names[export.Digest])
	}
}
