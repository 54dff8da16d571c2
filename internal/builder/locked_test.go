package builder

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestLockedRebuildSkipsTheSolve: a locked build whose locked inputs an
// earlier build on this builder produced, and whose outputs still hold that
// image, is answered without a solve, with exactly the digest and the OCI
// index a full build gives. Changed inputs, --no-cache or an output that
// lost the image mean a solve.
func TestLockedRebuildSkipsTheSolve(t *testing.T) {
	dc := requireDocker(t)
	ctx := testContext(t)
	b := connect(t, startBuildkitd(t))
	b.lockedIndex = filepath.Join(t.TempDir(), "locked.json")
	b.loadCache = filepath.Join(t.TempDir(), "load")
	base := busyboxBase(t, b)
	files := writeAppFiles(t)
	tag := uniqueTag(t, "macabox-test/locked")
	removeImageOnCleanup(t, dc, tag)
	out := filepath.Join(t.TempDir(), "oci")

	build := func(label string, mutate func(*Request)) *Result {
		t.Helper()
		req := appRequest(t, base, files, out)
		req.Outputs = append(req.Outputs, Output{Type: OutputLoad})
		req.Tags, req.InputsHash, req.LockDigest = []string{tag}, "sha256:inputs", "sha256:lock"
		if mutate != nil {
			mutate(&req)
		}
		res, err := b.Build(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		removeImageOnCleanup(t, dc, res.ConfigDigest)
		t.Logf("%s: %s, from the locked index: %v", label, res.ManifestDigest, res.FromLockedIndex)
		return res
	}
	index := func() []byte {
		raw, err := os.ReadFile(filepath.Join(out, "index.json"))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}

	full := build("full", nil)
	if full.FromLockedIndex || full.LockedInputs == "" {
		t.Fatalf("the first locked build: from the index %v, locked inputs %q", full.FromLockedIndex, full.LockedInputs)
	}
	fullIndex := index()

	again := build("again", nil)
	if !again.FromLockedIndex || again.ManifestDigest != full.ManifestDigest || again.ConfigDigest != full.ConfigDigest {
		t.Errorf("the locked rebuild: from the index %v, %s (full build %s)", again.FromLockedIndex, again.ManifestDigest, full.ManifestDigest)
	}
	if got := index(); !bytes.Equal(got, fullIndex) {
		t.Errorf("index.json after the short-circuit:\n%s\nafter the full build:\n%s", got, fullIndex)
	}

	noCache := build("no-cache", func(r *Request) { r.NoCache = true })
	if noCache.FromLockedIndex || noCache.ManifestDigest != full.ManifestDigest {
		t.Errorf("--no-cache: from the index %v, %s (full build %s)", noCache.FromLockedIndex, noCache.ManifestDigest, full.ManifestDigest)
	}

	other := build("other lock", func(r *Request) { r.LockDigest = "sha256:another" })
	if other.FromLockedIndex {
		t.Error("a build with another lock came from the index")
	}

	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	lost := build("output removed", nil)
	if lost.FromLockedIndex || lost.ManifestDigest != full.ManifestDigest {
		t.Errorf("output removed: from the index %v, %s", lost.FromLockedIndex, lost.ManifestDigest)
	}
}
