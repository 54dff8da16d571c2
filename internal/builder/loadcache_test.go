package builder

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	dockerclient "github.com/moby/moby/client"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestLoadThroughTheCache loads images into Docker through the load cache:
// the image Docker then holds is the built one (its ID is the built config
// digest, its manifest the one an OCI export gives), a rebuild that changes
// nothing only tags it, and an image that shares layers with one Docker
// holds sends only the layers Docker lacks, yet runs whole.
func TestLoadThroughTheCache(t *testing.T) {
	dc := requireDocker(t)
	ctx := testContext(t)
	addr := startBuildkitd(t)
	b := connect(t, addr)
	b.loadCache = filepath.Join(t.TempDir(), "load")
	base := busyboxBase(t, b)
	files := writeAppFiles(t)
	tag := uniqueTag(t, "macabox-test/load-cache")
	removeImageOnCleanup(t, dc, tag)

	ociReq := appRequest(t, base, files, filepath.Join(t.TempDir(), "oci"))
	oci, err := b.Build(ctx, ociReq)
	if err != nil {
		t.Fatal(err)
	}

	load := func(label string, files map[string]string) *Result {
		t.Helper()
		req := appRequest(t, base, files, "")
		req.Outputs, req.Tags = []Output{{Type: OutputLoad}}, []string{tag}
		res, err := b.Build(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		removeImageOnCleanup(t, dc, res.ConfigDigest)
		insp, err := dc.ImageInspect(ctx, tag)
		if err != nil {
			t.Fatalf("%s: docker image inspect %s: %v", label, tag, err)
		}
		if insp.ID != res.ConfigDigest {
			t.Errorf("%s: Docker's image ID %s, the built config digest %s", label, insp.ID, res.ConfigDigest)
		}
		t.Logf("%s: already loaded %v, %d layers sent, %d kept", label, res.AlreadyLoaded, res.LayersSent, res.LayersKept)
		return res
	}

	first := load("first", files)
	if first.AlreadyLoaded || first.LayersSent == 0 {
		t.Errorf("first load: already loaded %v, %d layers sent", first.AlreadyLoaded, first.LayersSent)
	}
	if first.ManifestDigest != oci.ManifestDigest {
		t.Errorf("manifest %s through the cache, %s as an OCI export", first.ManifestDigest, oci.ManifestDigest)
	}
	if out := dockerRun(t, tag, "cat", "/var/lib/app/out.txt"); out != "hello from app\n" {
		t.Errorf("the loaded image says %q", out)
	}

	again := load("again", files)
	if !again.AlreadyLoaded || again.ConfigDigest != first.ConfigDigest {
		t.Errorf("a rebuild of a loaded image was loaded again (already loaded %v)", again.AlreadyLoaded)
	}

	// Another app.conf: the COPY of it and the RUN after it change, the
	// base and app.sh layers are the first image's, which Docker has.
	changed := map[string]string{"app.sh": files["app.sh"], "conf/app.conf": filepath.Join(t.TempDir(), "app.conf")}
	if err := os.WriteFile(changed["conf/app.conf"], []byte("level=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	second := load("changed", changed)
	if second.AlreadyLoaded || second.LayersKept == 0 || second.LayersSent == 0 {
		t.Errorf("changed image: already loaded %v, %d sent, %d kept", second.AlreadyLoaded, second.LayersSent, second.LayersKept)
	}
	if out := dockerRun(t, tag, "sh", "-c", "cat /etc/app.conf; /usr/local/bin/app.sh"); out != "level=2\nhello from app\n" {
		t.Errorf("the image loaded with shared layers says %q", out)
	}

	// The first image is gone from Docker once its tag moved and it is
	// removed: loading it again must load, not trust the cache.
	if _, err := dc.ImageRemove(ctx, first.ConfigDigest, dockerclient.ImageRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	back := load("removed", files)
	if back.AlreadyLoaded {
		t.Error("an image Docker no longer held counted as already loaded")
	}
}

// dockerRun runs cmd in a throwaway container of image and returns its
// output.
func dockerRun(t *testing.T, image string, cmd ...string) string {
	t.Helper()
	out, err := exec.Command("docker", append([]string{"run", "--rm", image}, cmd...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker run %s %s: %v\n%s", image, strings.Join(cmd, " "), err, out)
	}
	return string(out)
}

// TestLoadCacheKeepsTheLastLoads: the cache keeps the blobs of the images
// loaded last, shared ones included, and lets go of the rest.
func TestLoadCacheKeepsTheLastLoads(t *testing.T) {
	dir := t.TempDir()
	store, err := newLayoutStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	put := func(data []byte) digest.Digest {
		t.Helper()
		d := digest.FromBytes(data)
		p, _ := store.blobPath(d)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o444); err != nil {
			t.Fatal(err)
		}
		return d
	}
	shared := put([]byte("base layer"))
	var manifests, own []digest.Digest
	for i := range keepLoads + 2 {
		layer := put(fmt.Appendf(nil, "layer %d", i))
		cfg := put(fmt.Appendf(nil, "config %d", i))
		m := ocispec.Manifest{
			Config: ocispec.Descriptor{Digest: cfg},
			Layers: []ocispec.Descriptor{{Digest: shared}, {Digest: layer}},
		}
		raw, _ := json.Marshal(m)
		manifests, own = append(manifests, put(raw)), append(own, layer)
		c, err := openLoadCache(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.done(manifests[i]); err != nil {
			t.Fatal(err)
		}
	}
	has := func(d digest.Digest) bool {
		_, err := store.Info(t.Context(), d)
		return err == nil
	}
	if !has(shared) {
		t.Error("the layer every image shares was removed")
	}
	for i := range manifests {
		kept := i >= 2
		if has(manifests[i]) != kept || has(own[i]) != kept {
			t.Errorf("load %d: manifest kept %v, layer kept %v, want %v", i, has(manifests[i]), has(own[i]), kept)
		}
	}
}
