package builder

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ccf-ai-infra/macabox/internal/imageref"
)

// LayoutImage is one image read back from an OCI image layout directory,
// such as an OutputOCI directory: its manifest and config, each checked
// against its digest, and its layers.
type LayoutImage struct {
	// Digest is the digest of the image manifest.
	Digest   digest.Digest
	Manifest ocispec.Manifest
	// Config is the image config; ConfigRaw its bytes as stored, which
	// are what its digest covers.
	Config    ocispec.Image
	ConfigRaw []byte

	dir string
}

// OpenLayoutImage reads the image manifest with the given digest
// ("sha256:…") from the OCI layout in dir, and its config. It refuses a
// blob whose content does not match its digest, and a config that does not
// name one diff ID per layer.
func OpenLayoutImage(dir, manifestDigest string) (*LayoutImage, error) {
	d, err := digest.Parse(manifestDigest)
	if err != nil {
		return nil, fmt.Errorf("image manifest %q: %w", manifestDigest, err)
	}
	im := &LayoutImage{Digest: d, dir: dir}
	raw, err := im.readBlob(d)
	if err != nil {
		return nil, fmt.Errorf("image manifest: %w", err)
	}
	if err := json.Unmarshal(raw, &im.Manifest); err != nil {
		return nil, fmt.Errorf("image manifest %s: %w", d, err)
	}
	if im.ConfigRaw, err = im.readBlob(im.Manifest.Config.Digest); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if im.Config, err = DecodeImageConfig(im.ConfigRaw); err != nil {
		return nil, fmt.Errorf("image config %s: %w", im.Manifest.Config.Digest, err)
	}
	if n, m := len(im.Config.RootFS.DiffIDs), len(im.Manifest.Layers); n != m {
		return nil, fmt.Errorf("image %s: %d layers but %d diff ids", d, m, n)
	}
	return im, nil
}

// DecodeImageConfig reads an OCI image config, such as one a bundle
// recorded.
func DecodeImageConfig(raw []byte) (ocispec.Image, error) {
	var c ocispec.Image
	err := json.Unmarshal(raw, &c)
	return c, err
}

// Platform is the image's os/arch[/variant], from its config.
func (im *LayoutImage) Platform() string {
	return imageref.FormatPlatform(im.Config.Platform)
}

// OpenLayer opens the blob of layer i (compressed as its media type says).
// Reading it to the end checks it against its digest: the last Read fails
// when the content differs.
func (im *LayoutImage) OpenLayer(i int) (io.ReadCloser, error) {
	if i < 0 || i >= len(im.Manifest.Layers) {
		return nil, fmt.Errorf("image %s has no layer %d", im.Digest, i)
	}
	d := im.Manifest.Layers[i].Digest
	p, err := layoutBlobPath(im.dir, d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	v := d.Verifier()
	return &verifyingReader{Reader: io.TeeReader(f, v), Closer: f, v: v, d: d}, nil
}

func (im *LayoutImage) readBlob(d digest.Digest) ([]byte, error) {
	p, err := layoutBlobPath(im.dir, d)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if got := d.Algorithm().FromBytes(data); got != d {
		return nil, fmt.Errorf("blob %s has digest %s", d, got)
	}
	return data, nil
}

// verifyingReader fails the Read that reaches the end of a blob whose
// content does not match its digest.
type verifyingReader struct {
	io.Reader
	io.Closer
	v digest.Verifier
	d digest.Digest
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	if err == io.EOF && !r.v.Verified() {
		return n, fmt.Errorf("blob %s: its content does not match its digest", r.d)
	}
	return n, err
}
