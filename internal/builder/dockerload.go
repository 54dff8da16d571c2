package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/ccf-ai-infra/macabox/internal/docker"
	"github.com/ccf-ai-infra/macabox/internal/imageref"
)

// loadReport says what a load from a layout did, for the progress display
// and the result.
type loadReport struct {
	// Loaded is what Docker reported, or the names tagged on a skip.
	Loaded []string
	// Present is true when Docker already held the image: it was tagged,
	// not loaded.
	Present bool
	// Sent and Kept count the layers whose content went to Docker and
	// those Docker already had; SentBytes is the size of the former.
	Sent, Kept int
	SentBytes  int64
}

func (r loadReport) String() string {
	if r.Present {
		return "already loaded"
	}
	s := fmt.Sprintf("sent %d layer(s), %.1f MiB", r.Sent, float64(r.SentBytes)/(1<<20))
	if r.Kept > 0 {
		s += fmt.Sprintf(", %d already in Docker", r.Kept)
	}
	return s
}

// hasImage reports whether Docker holds the image whose ID is id.
func (d *dockerAPI) hasImage(ctx context.Context, id string) (bool, error) {
	dc, err := d.client()
	if err != nil {
		return false, err
	}
	got, err := dc.Image(ctx, id)
	if errors.Is(err, docker.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return got.ID == id, nil
}

// loadLayout puts the image im into Docker under tags. The image Docker
// names by its config digest is the very image built (the ID is that
// digest), so when Docker holds it already, tagging is the whole load.
// Otherwise a docker-archive is streamed from the layout into Docker's
// image load; layers whose chain Docker already has go as empty entries,
// which an engine with its own layer store never reads. If Docker refuses
// such an archive, it is sent once more in full.
func (d *dockerAPI) loadLayout(ctx context.Context, im *LayoutImage, tags []string) (loadReport, error) {
	dc, err := d.client()
	if err != nil {
		return loadReport{}, err
	}
	id := im.Manifest.Config.Digest.String()
	names, err := loadNames(tags)
	if err != nil {
		return loadReport{}, err
	}
	if got, err := dc.Image(ctx, id); err == nil && got.ID == id {
		return tagPresent(ctx, dc, id, names)
	} else if err != nil && !errors.Is(err, docker.ErrNotFound) {
		return loadReport{}, err
	}

	present := map[string]bool{}
	if byChain, err := dc.KeepsLayersByChain(ctx); err == nil && byChain {
		if chains, err := dc.LayerChains(ctx); err == nil {
			present = chains
		}
	}
	rep, err := d.streamArchive(ctx, dc, im, names, present)
	if err != nil && rep.Kept > 0 {
		rep, err = d.streamArchive(ctx, dc, im, names, nil)
	}
	if err != nil {
		return rep, err
	}
	return rep, checkLoaded(ctx, dc, id, names)
}

// tagPresent names the image Docker holds as id under names: the whole
// load of an image that is already there.
func tagPresent(ctx context.Context, dc *docker.Client, id string, names []string) (loadReport, error) {
	rep := loadReport{Present: true}
	for _, n := range names {
		if err := dc.Tag(ctx, id, n); err != nil {
			return rep, err
		}
		rep.Loaded = append(rep.Loaded, "Loaded image: "+n)
	}
	return rep, nil
}

func (d *dockerAPI) streamArchive(ctx context.Context, dc *docker.Client, im *LayoutImage, names []string, present map[string]bool) (loadReport, error) {
	pr, pw := io.Pipe()
	var rep loadReport
	done := make(chan error, 1)
	go func() {
		var err error
		rep, err = writeArchive(pw, im, names, present)
		pw.CloseWithError(err)
		done <- err
	}()
	loaded, err := dc.Load(ctx, pr)
	pr.CloseWithError(errors.New("docker stopped reading the image"))
	if werr := <-done; err == nil && werr != nil {
		err = fmt.Errorf("loading into docker: %w", werr)
	}
	rep.Loaded = loaded
	return rep, err
}

// checkLoaded makes sure Docker now holds the built image under its config
// digest and under every name, so that a load cannot pass on a refusal
// Docker did not report.
func checkLoaded(ctx context.Context, dc *docker.Client, id string, names []string) error {
	got, err := dc.Image(ctx, id)
	if err != nil {
		return fmt.Errorf("after the load, docker has no image %s: %w", id, err)
	}
	if got.ID != id {
		return fmt.Errorf("after the load, docker's image ID is %s, not the built config digest %s", got.ID, id)
	}
	for _, n := range names {
		got, err := dc.Image(ctx, n)
		if err != nil || got.ID != id {
			return fmt.Errorf("after the load, %s is not the built image %s", n, id)
		}
	}
	return nil
}

// loadNames are the names Docker keeps the image under, one per tag that
// has a tag (a reference pinned only by digest names no local image).
func loadNames(tags []string) ([]string, error) {
	var names []string
	for _, t := range tags {
		ref, err := imageref.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("tag: %w", err)
		}
		if n, ok := ref.Tagged(); ok {
			names = append(names, n)
		}
	}
	return names, nil
}

// archiveManifest is one entry of a docker-archive's manifest.json, the
// format every Docker engine loads.
type archiveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// writeArchive writes im as a docker-archive: manifest.json, the config and
// the layers, each under blobs/sha256/ as BuildKit's docker exporter names
// them. A layer whose chain is in present goes as an empty file.
func writeArchive(w io.Writer, im *LayoutImage, names []string, present map[string]bool) (loadReport, error) {
	var rep loadReport
	tw := tar.NewWriter(w)
	m := archiveManifest{Config: blobName(im.Manifest.Config.Digest), RepoTags: names}
	for _, l := range im.Manifest.Layers {
		m.Layers = append(m.Layers, blobName(l.Digest))
	}
	raw, err := json.Marshal([]archiveManifest{m})
	if err != nil {
		return rep, err
	}
	if err := writeEntry(tw, "manifest.json", int64(len(raw)), bytes.NewReader(raw)); err != nil {
		return rep, err
	}
	if err := writeEntry(tw, m.Config, int64(len(im.ConfigRaw)), bytes.NewReader(im.ConfigRaw)); err != nil {
		return rep, err
	}
	diffIDs := make([]string, len(im.Config.RootFS.DiffIDs))
	for i, d := range im.Config.RootFS.DiffIDs {
		diffIDs[i] = d.String()
	}
	chains := docker.ChainIDs(diffIDs)
	written := map[digest.Digest]bool{}
	for i, l := range im.Manifest.Layers {
		if written[l.Digest] {
			continue
		}
		written[l.Digest] = true
		if present[chains[i]] {
			rep.Kept++
			if err := writeEntry(tw, blobName(l.Digest), 0, nil); err != nil {
				return rep, err
			}
			continue
		}
		if err := im.copyBlob(tw, l.Digest, l.Size); err != nil {
			return rep, err
		}
		rep.Sent++
		rep.SentBytes += l.Size
	}
	return rep, tw.Close()
}

func (im *LayoutImage) copyBlob(tw *tar.Writer, d digest.Digest, size int64) error {
	p, err := layoutBlobPath(im.dir, d)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("layer %s: %w", d, err)
	}
	defer f.Close()
	// The layout is the cache or the user's output; a blob changed since
	// BuildKit wrote it would load as another image, which checkLoaded
	// would catch only after the whole load.
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != size {
		return fmt.Errorf("layer %s is %d bytes in %s, the manifest says %d", d, fi.Size(), im.dir, size)
	}
	return writeEntry(tw, blobName(d), size, f)
}

func writeEntry(tw *tar.Writer, name string, size int64, r io.Reader) error {
	hdr := &tar.Header{Name: name, Mode: 0o444, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if size == 0 {
		return nil
	}
	n, err := io.Copy(tw, io.LimitReader(r, size))
	if err == nil && n != size {
		err = fmt.Errorf("%s: %d of %d bytes", name, n, size)
	}
	return err
}

func blobName(d digest.Digest) string { return "blobs/" + d.Algorithm().String() + "/" + d.Encoded() }
