package builder

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layoutStore is the content store of an OCI layout directory, enough for
// BuildKit to read a base image from it over the session and to export an
// image into it. It exists because containerd's local store reports an
// unsupported fsverity through the process-global logger, and this package
// must stay silent.
type layoutStore struct {
	root string

	mu      sync.Mutex
	ingests map[string]*layoutWriter
}

func newLayoutStore(root string) (*layoutStore, error) {
	if err := os.MkdirAll(filepath.Join(root, "blobs"), 0o755); err != nil {
		return nil, err
	}
	return &layoutStore{root: root, ingests: map[string]*layoutWriter{}}, nil
}

var _ content.Store = (*layoutStore)(nil)

func (s *layoutStore) blobPath(d digest.Digest) (string, error) { return layoutBlobPath(s.root, d) }

// layoutBlobPath is where an OCI layout in root keeps the blob d. A digest
// that is not well formed is refused, so no name can leave blobs/.
func layoutBlobPath(root string, d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", storeErr(classInvalidArgument, "%s: invalid argument", d)
	}
	return filepath.Join(root, "blobs", d.Algorithm().String(), d.Encoded()), nil
}

func (s *layoutStore) Info(_ context.Context, d digest.Digest) (content.Info, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return content.Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		if os.IsNotExist(err) {
			return content.Info{}, storeErr(classNotFound, "blob %s: not found", d)
		}
		return content.Info{}, err
	}
	return content.Info{Digest: d, Size: fi.Size(), CreatedAt: fi.ModTime(), UpdatedAt: fi.ModTime()}, nil
}

// Update keeps no labels: a layout has nowhere to store them.
func (s *layoutStore) Update(ctx context.Context, info content.Info, _ ...string) (content.Info, error) {
	return s.Info(ctx, info.Digest)
}

func (s *layoutStore) Walk(ctx context.Context, fn content.WalkFunc, _ ...string) error {
	dir := filepath.Join(s.root, "blobs", string(digest.SHA256))
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		info, err := s.Info(ctx, d)
		if err != nil {
			continue
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

func (s *layoutStore) Delete(_ context.Context, d digest.Digest) error {
	p, err := s.blobPath(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

func (s *layoutStore) ReaderAt(_ context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	p, err := s.blobPath(desc.Digest)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, storeErr(classNotFound, "blob %s: not found", desc.Digest)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileReaderAt{File: f, size: fi.Size()}, nil
}

type fileReaderAt struct {
	*os.File
	size int64
}

func (f *fileReaderAt) Size() int64 { return f.size }

func (s *layoutStore) Status(_ context.Context, ref string) (content.Status, error) {
	s.mu.Lock()
	w, ok := s.ingests[ref]
	s.mu.Unlock()
	if !ok {
		return content.Status{}, storeErr(classNotFound, "ingest %s: not found", ref)
	}
	return w.Status()
}

func (s *layoutStore) ListStatuses(context.Context, ...string) ([]content.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]content.Status, 0, len(s.ingests))
	for _, w := range s.ingests {
		st, _ := w.Status()
		out = append(out, st)
	}
	return out, nil
}

func (s *layoutStore) Abort(_ context.Context, ref string) error {
	s.mu.Lock()
	w, ok := s.ingests[ref]
	s.mu.Unlock()
	if !ok {
		return storeErr(classNotFound, "ingest %s: not found", ref)
	}
	return w.discard()
}

// Writer refuses a blob the layout already has, which is how an exporter
// learns it can skip sending it: a no-op rebuild writes nothing.
func (s *layoutStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
	}
	if wo.Ref == "" {
		return nil, storeErr(classInvalidArgument, "writer without a ref: invalid argument")
	}
	if wo.Desc.Digest != "" {
		if _, err := s.Info(ctx, wo.Desc.Digest); err == nil {
			return nil, storeErr(classAlreadyExists, "blob %s: already exists", wo.Desc.Digest)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, busy := s.ingests[wo.Ref]; busy {
		return nil, storeErr(classUnavailable, "ingest %s: unavailable", wo.Ref)
	}
	dir := filepath.Join(s.root, "ingest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// A name of its own: another process may be writing the same blob
	// into a shared layout (the load cache) at the same time.
	f, err := os.CreateTemp(dir, "ingest-*")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	w := &layoutWriter{
		s: s, f: f, h: digest.SHA256.Digester(),
		status: content.Status{Ref: wo.Ref, Total: wo.Desc.Size, Expected: wo.Desc.Digest, StartedAt: now, UpdatedAt: now},
	}
	s.ingests[wo.Ref] = w
	return w, nil
}

type layoutWriter struct {
	s      *layoutStore
	f      *os.File
	h      digest.Digester
	status content.Status
}

func (w *layoutWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Hash().Write(p[:n])
	w.status.Offset += int64(n)
	w.status.UpdatedAt = time.Now()
	return n, err
}

func (w *layoutWriter) Digest() digest.Digest { return w.h.Digest() }

func (w *layoutWriter) Status() (content.Status, error) { return w.status, nil }

// Truncate supports only restarting from zero, which is all a fresh ingest
// ever needs.
func (w *layoutWriter) Truncate(size int64) error {
	if size != 0 {
		return storeErr(classNotImplemented, "truncate to %d: not implemented", size)
	}
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	if _, err := w.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w.h = digest.SHA256.Digester()
	w.status.Offset = 0
	return nil
}

func (w *layoutWriter) Commit(_ context.Context, size int64, expected digest.Digest, _ ...content.Opt) error {
	defer w.discard()
	if err := w.f.Sync(); err != nil {
		return err
	}
	got := w.h.Digest()
	if size > 0 && size != w.status.Offset {
		return storeErr(classFailedPrecondition, "blob %s: wrote %d bytes, expected %d: failed precondition", got, w.status.Offset, size)
	}
	if expected != "" && expected != got {
		return storeErr(classFailedPrecondition, "blob digest %s, expected %s: failed precondition", got, expected)
	}
	dst, err := w.s.blobPath(got)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil {
		return storeErr(classAlreadyExists, "blob %s: already exists", got)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Chmod(w.f.Name(), 0o444); err != nil {
		return err
	}
	return os.Rename(w.f.Name(), dst)
}

func (w *layoutWriter) Close() error { return w.discard() }

// discard forgets the ingest; after a successful Commit the file has moved
// and the remove is a no-op.
func (w *layoutWriter) discard() error {
	w.s.mu.Lock()
	delete(w.s.ingests, w.status.Ref)
	w.s.mu.Unlock()
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
