package builder

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// writeBlob stores data in the layout at dir under its sha256 digest.
func writeBlob(t *testing.T, dir string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := digest.FromBytes(data)
	p := filepath.Join(dir, "blobs", "sha256", d.Encoded())
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return ocispec.Descriptor{Digest: d, Size: int64(len(data))}
}

func writeJSONBlob(t *testing.T, dir string, v any, mediaType string) ocispec.Descriptor {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	desc := writeBlob(t, dir, data)
	desc.MediaType = mediaType
	return desc
}

// testLayout writes an image of one layer; diffIDs are what its config
// names.
func testLayout(t *testing.T, diffIDs int) (dir string, manifest ocispec.Descriptor, layer []byte) {
	dir = t.TempDir()
	layer = []byte("not really a tar, but a blob all the same")
	ld := writeBlob(t, dir, layer)
	ld.MediaType = ocispec.MediaTypeImageLayerGzip
	cfg := ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"},
		Config:   ocispec.ImageConfig{Env: []string{"A=1"}},
		History:  []ocispec.History{{CreatedBy: "RUN x"}},
	}
	for range diffIDs {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, digest.FromString("diff"))
	}
	cd := writeJSONBlob(t, dir, cfg, ocispec.MediaTypeImageConfig)
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cd, Layers: []ocispec.Descriptor{ld}}
	m.SchemaVersion = 2
	return dir, writeJSONBlob(t, dir, m, ocispec.MediaTypeImageManifest), layer
}

func TestOpenLayoutImage(t *testing.T) {
	dir, md, layer := testLayout(t, 1)
	im, err := OpenLayoutImage(dir, md.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	if im.Digest != md.Digest || len(im.Manifest.Layers) != 1 || im.Config.Config.Env[0] != "A=1" || im.Platform() != "linux/arm/v7" {
		t.Errorf("read %+v, platform %s", im, im.Platform())
	}
	if got := digest.FromBytes(im.ConfigRaw); got != im.Manifest.Config.Digest {
		t.Errorf("ConfigRaw has digest %s, the manifest names %s", got, im.Manifest.Config.Digest)
	}
	rc, err := im.OpenLayer(0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(data) != string(layer) {
		t.Errorf("layer 0 read as %q, %v", data, err)
	}
	if _, err := im.OpenLayer(1); err == nil {
		t.Error("a layer the image does not have was opened")
	}
}

// TestOpenLayoutImageChecksDigests: a manifest, config or layer whose
// bytes differ from their digest is refused, as is a malformed digest and a
// config whose diff ids do not match the layers.
func TestOpenLayoutImageChecksDigests(t *testing.T) {
	for _, bad := range []string{"", "sha256:abc", "sha256:../../etc/passwd", "md5:" + strings.Repeat("0", 32)} {
		if _, err := OpenLayoutImage(t.TempDir(), bad); err == nil {
			t.Errorf("manifest digest %q accepted", bad)
		}
	}

	dir, md, _ := testLayout(t, 2)
	if _, err := OpenLayoutImage(dir, md.Digest.String()); errorContains(err, "1 layers but 2 diff ids") != nil {
		t.Errorf("diff id count: %v", err)
	}

	corrupt := func(dir string, d digest.Digest) {
		p := filepath.Join(dir, "blobs", "sha256", d.Encoded())
		if err := os.WriteFile(p, []byte(`{"tampered":true}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir, md, _ = testLayout(t, 1)
	corrupt(dir, md.Digest)
	if _, err := OpenLayoutImage(dir, md.Digest.String()); errorContains(err, "image manifest", "has digest") != nil {
		t.Errorf("tampered manifest: %v", err)
	}

	dir, md, _ = testLayout(t, 1)
	im, err := OpenLayoutImage(dir, md.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	corrupt(dir, im.Manifest.Config.Digest)
	if _, err := OpenLayoutImage(dir, md.Digest.String()); errorContains(err, "image config", "has digest") != nil {
		t.Errorf("tampered config: %v", err)
	}
	corrupt(dir, im.Manifest.Layers[0].Digest)
	rc, err := im.OpenLayer(0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); errorContains(err, "does not match its digest") != nil {
		t.Errorf("tampered layer: %v", err)
	}
}
