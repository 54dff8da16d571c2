package builder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gofrs/flock"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ccf-ai-infra/macabox/internal/replacefile"
)

// keepLoads is how many of the images loaded last the load cache keeps the
// blobs of. A rebuild mostly shares its base layers with the image before
// it, so a few are enough for those never to cross the session again.
const keepLoads = 8

// loadCache is an OCI content store on the local disk that images bound for
// Docker pass through. BuildKit exports into it only the blobs it lacks, so
// a rebuild that changed the top layer sends that layer alone over the
// session, which costs about as much as Docker's load of it (see
// docs/benchmarks.md); the image then
// goes from the disk into Docker's image load. Several processes may share
// it: blobs appear by atomic rename, and a shared file lock, held from the
// export to the end of the load, keeps the clean-up away from blobs in use.
type loadCache struct {
	dir  string
	lock *flock.Flock
}

// openLoadCache takes the shared lock on the cache in dir, creating it.
func openLoadCache(dir string) (*loadCache, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o755); err != nil {
		return nil, fmt.Errorf("load cache %s: %w", dir, err)
	}
	c := &loadCache{dir: dir, lock: flock.New(filepath.Join(dir, "lock"))}
	if err := c.lock.RLock(); err != nil {
		return nil, fmt.Errorf("load cache %s: %w", dir, err)
	}
	return c, nil
}

// loadRecord is one image loaded through the cache.
type loadRecord struct {
	Manifest digest.Digest `json:"manifest"`
	Time     time.Time     `json:"time"`
}

// done records the image just loaded and releases the shared lock; then,
// if no other process holds the cache, it removes the blobs no image among
// the last keepLoads uses. A failed clean-up costs disk space, not the
// build, so it is not an error.
func (c *loadCache) done(manifest digest.Digest) error {
	var err error
	if manifest != "" {
		err = c.record(manifest)
	}
	if uerr := c.lock.Unlock(); err == nil {
		err = uerr
	}
	if ok, lerr := c.lock.TryLock(); lerr == nil && ok {
		_ = c.prune()
		_ = c.lock.Unlock()
	}
	return err
}

func (c *loadCache) recordsPath() string { return filepath.Join(c.dir, "loads.json") }

func (c *loadCache) records() []loadRecord {
	var recs []loadRecord
	if raw, err := os.ReadFile(c.recordsPath()); err == nil {
		_ = json.Unmarshal(raw, &recs) // a damaged list only loses history
	}
	return recs
}

// record puts manifest first in the list of loads. Processes holding the
// shared lock may record at once; each writes a whole new file and renames
// it, so the list is never half written (one of two racing entries may be
// lost, which only makes the clean-up keep less).
func (c *loadCache) record(manifest digest.Digest) error {
	recs := slices.DeleteFunc(c.records(), func(r loadRecord) bool { return r.Manifest == manifest })
	recs = append([]loadRecord{{Manifest: manifest, Time: time.Now().UTC()}}, recs...)
	if len(recs) > 4*keepLoads {
		recs = recs[:4*keepLoads]
	}
	raw, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	return replacefile.Write(c.recordsPath(), raw, 0o644)
}

// prune removes every blob that no manifest of the last keepLoads loads
// refers to, and ingests left by interrupted exports. It runs under the
// exclusive lock only.
func (c *loadCache) prune() error {
	keep := map[digest.Digest]bool{}
	recs := c.records()
	if len(recs) > keepLoads {
		recs = recs[:keepLoads]
	}
	for _, r := range recs {
		raw, err := os.ReadFile(filepath.Join(c.dir, blobName(r.Manifest)))
		if err != nil {
			continue
		}
		var m ocispec.Manifest
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		keep[r.Manifest] = true
		keep[m.Config.Digest] = true
		for _, l := range m.Layers {
			keep[l.Digest] = true
		}
	}
	dir := filepath.Join(c.dir, "blobs", string(digest.SHA256))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		if !keep[digest.NewDigestFromEncoded(digest.SHA256, e.Name())] {
			errs = append(errs, os.Remove(filepath.Join(dir, e.Name())))
		}
	}
	errs = append(errs, os.RemoveAll(filepath.Join(c.dir, "ingest")))
	return errors.Join(errs...)
}
