package world

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// writeStore makes an OCI layout whose index names each ref at its digest,
// with a manifest blob for each.
func writeStore(t *testing.T, store string, refs map[string]string) {
	t.Helper()
	type desc struct {
		Digest      string            `json:"digest"`
		Annotations map[string]string `json:"annotations"`
	}
	var index struct {
		Manifests []desc `json:"manifests"`
	}
	for ref, digest := range refs {
		index.Manifests = append(index.Manifests, desc{Digest: digest, Annotations: map[string]string{imageNameAnnotation: ref}})
		writeFiles(t, store, map[string]string{
			filepath.Join("blobs", "sha256", digest[len("sha256:"):]): `{"layers":[{"digest":"sha256:` + repeat64("c") + `","size":42}]}`,
		})
	}
	data, err := json.Marshal(index)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, store, map[string]string{"index.json": string(data)})
}

func TestStoreDigest(t *testing.T) {
	a, b := "sha256:"+repeat64("a"), "sha256:"+repeat64("b")
	store := t.TempDir()
	writeStore(t, store, map[string]string{debianRef: a, macasimRef: b})
	if got, ok := storeDigest(store, debianRef); !ok || got != a {
		t.Errorf("storeDigest(debian) = %s, %v; want %s", got, ok, a)
	}
	if _, ok := storeDigest(store, "macabox.test/other:1"); ok {
		t.Error("found a ref the index does not name")
	}
	if _, ok := storeDigest(t.TempDir(), debianRef); ok {
		t.Error("found a ref in a directory without index.json")
	}

	// A missing or empty manifest blob means the image is not there.
	if err := os.WriteFile(blobPath(store, b), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := storeDigest(store, macasimRef); ok {
		t.Error("found an image whose manifest blob is empty")
	}

	// Two entries for one name: which one a build would use is unknowable.
	writeFiles(t, store, map[string]string{"index.json": `{"manifests":[` +
		`{"digest":"` + a + `","annotations":{"` + imageNameAnnotation + `":"` + debianRef + `"}},` +
		`{"digest":"` + b + `","annotations":{"` + imageNameAnnotation + `":"` + debianRef + `"}}]}`})
	if got, ok := storeDigest(store, debianRef); ok {
		t.Errorf("storeDigest = %s with two entries for the name; want none", got)
	}
}

func TestManifestLayers(t *testing.T) {
	store, d := t.TempDir(), "sha256:"+repeat64("a")
	writeStore(t, store, map[string]string{debianRef: d})
	layers, err := manifestLayers(store, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:" + repeat64("c") + " 42"; len(layers) != 1 || layers[0] != want {
		t.Errorf("layers %q, want [%q]", layers, want)
	}
	if _, err := manifestLayers(store, "sha256:"+repeat64("0")); err == nil {
		t.Error("no error for a missing manifest")
	}
}
