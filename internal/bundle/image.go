package bundle

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ociImage is one image read from an OCI layout directory: only the parts
// bundles use, so this package does not depend on an image library.
type ociImage struct {
	dir            string
	ManifestDigest string
	Manifest       ociManifest
	ConfigRaw      []byte
	Config         ociConfig
}

type ociDescriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

type ociManifest struct {
	MediaType string          `json:"mediaType"`
	Config    ociDescriptor   `json:"config"`
	Layers    []ociDescriptor `json:"layers"`
}

type ociConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
	RootFS       struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []ociHistory `json:"history"`
}

type ociHistory struct {
	CreatedBy  string `json:"created_by"`
	Comment    string `json:"comment"`
	EmptyLayer bool   `json:"empty_layer"`
}

var digestShape = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// readImage reads the manifest and config of manifestDigest from an OCI
// layout directory.
func readImage(dir, manifestDigest string) (*ociImage, error) {
	im := &ociImage{dir: dir, ManifestDigest: manifestDigest}
	raw, err := im.readBlob(manifestDigest)
	if err != nil {
		return nil, fmt.Errorf("image manifest: %w", err)
	}
	if err := json.Unmarshal(raw, &im.Manifest); err != nil {
		return nil, fmt.Errorf("image manifest %s: %w", manifestDigest, err)
	}
	if im.ConfigRaw, err = im.readBlob(im.Manifest.Config.Digest); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if err := json.Unmarshal(im.ConfigRaw, &im.Config); err != nil {
		return nil, fmt.Errorf("image config %s: %w", im.Manifest.Config.Digest, err)
	}
	if n, m := len(im.Config.RootFS.DiffIDs), len(im.Manifest.Layers); n != m {
		return nil, fmt.Errorf("image %s: %d layers but %d diff ids", manifestDigest, m, n)
	}
	return im, nil
}

// Platform is os/arch[/variant] from the config.
func (im *ociImage) Platform() string {
	p := im.Config.OS + "/" + im.Config.Architecture
	if im.Config.Variant != "" {
		p += "/" + im.Config.Variant
	}
	return p
}

func (im *ociImage) blobPath(d string) (string, error) {
	if !digestShape.MatchString(d) {
		return "", fmt.Errorf("digest %q is not sha256:<64 hex>", d)
	}
	return filepath.Join(im.dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:")), nil
}

func (im *ociImage) readBlob(d string) ([]byte, error) {
	p, err := im.blobPath(d)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if got := "sha256:" + sha256Hex(data); got != d {
		return nil, fmt.Errorf("blob %s has digest %s", d, got)
	}
	return data, nil
}

func (im *ociImage) openBlob(d string) (io.ReadCloser, error) {
	p, err := im.blobPath(d)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// layerOrigin ties a layer to the Dockerfile instruction that made it.
type layerOrigin struct {
	Base        bool
	Line        int
	Instruction string
}

// layerOrigins maps each layer of the image to the instruction that made it.
// Every instruction of the final stage chain adds one history entry (FROM
// excepted), after the base image's own entries; entries that made a layer
// are the ones not marked empty. When the history does not line up with the
// Dockerfile (an instruction keyword differs), the build layers keep no
// line rather than a wrong one.
func layerOrigins(cfg ociConfig, dockerfile []byte) []layerOrigin {
	chain := finalChain(scanDockerfile(dockerfile))
	hist := cfg.History
	nbase := len(hist) - len(chain)
	matched := nbase >= 0
	for i := 0; matched && i < len(chain); i++ {
		kw, _, _ := strings.Cut(strings.TrimSpace(hist[nbase+i].CreatedBy), " ")
		if !strings.EqualFold(kw, chain[i].Keyword) {
			matched = false
		}
	}
	var out []layerOrigin
	for i, h := range hist {
		if h.EmptyLayer {
			continue
		}
		o := layerOrigin{Base: matched && i < nbase}
		if matched && i >= nbase {
			ins := chain[i-nbase]
			o.Line, o.Instruction = ins.Line, ins.Keyword
		}
		out = append(out, o)
	}
	return out
}

// imageEnv reads the environment from an image config.
func imageEnv(raw []byte) ([]string, error) {
	var c struct {
		Config struct {
			Env []string `json:"Env"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return c.Config.Env, nil
}
