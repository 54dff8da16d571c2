package world

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// imageNameAnnotation is where BuildKit's OCI exporter records the name.
const imageNameAnnotation = "io.containerd.image.name"

func blobPath(store, digest string) string {
	return filepath.Join(store, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

// storeDigest is the manifest digest the OCI layout at store gives ref, if
// exactly one entry names it and its manifest blob is there.
func storeDigest(store, ref string) (string, bool) {
	data, err := os.ReadFile(filepath.Join(store, "index.json"))
	if err != nil {
		return "", false
	}
	var index struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if json.Unmarshal(data, &index) != nil {
		return "", false
	}
	var found []string
	for _, m := range index.Manifests {
		if m.Annotations[imageNameAnnotation] == ref {
			found = append(found, m.Digest)
		}
	}
	if len(found) != 1 || !strings.HasPrefix(found[0], "sha256:") {
		return "", false
	}
	if fi, err := os.Stat(blobPath(store, found[0])); err != nil || fi.Size() == 0 {
		return "", false
	}
	return found[0], true
}

// manifestLayers lists a manifest's layers as "digest size" lines, to see
// which step differs when two builds do not match.
func manifestLayers(store, digest string) ([]string, error) {
	data, err := os.ReadFile(blobPath(store, digest))
	if err != nil {
		return nil, err
	}
	var m struct {
		Layers []struct {
			Digest string `json:"digest"`
			Size   int64  `json:"size"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", digest, err)
	}
	var lines []string
	for _, l := range m.Layers {
		lines = append(lines, fmt.Sprintf("%s %d", l.Digest, l.Size))
	}
	return lines, nil
}
