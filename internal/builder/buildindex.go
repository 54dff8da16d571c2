package builder

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gofrs/flock"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/ccf-ai-infra/macabox/internal/replacefile"
)

// maxIndexEntries bounds an index; the oldest entries go first.
const maxIndexEntries = 256

// indexEntry records which image a key produced on which builder. The key
// is a locked-inputs digest in the locked index (see shortCircuit) and a
// memo key in the export memo (see fromMemo).
type indexEntry struct {
	Inputs          string             `json:"inputs"`
	Builder         string             `json:"builder"`
	BuildKitVersion string             `json:"buildkitVersion"`
	Manifest        ocispec.Descriptor `json:"manifest"`
	Config          string             `json:"config"`
	BaseDigests     map[string]string  `json:"baseDigests,omitempty"`
	Time            time.Time          `json:"time"`
}

// buildIndex is a small local index of built images, a JSON file that
// processes update under a file lock.
type buildIndex struct{ path string }

func (x buildIndex) read() []indexEntry {
	var es []indexEntry
	if raw, err := os.ReadFile(x.path); err == nil {
		_ = json.Unmarshal(raw, &es) // a damaged index only loses history
	}
	return es
}

func (x buildIndex) lookup(inputs, builder, version string) (indexEntry, bool) {
	for _, e := range x.read() {
		if e.Inputs == inputs && e.Builder == builder && e.BuildKitVersion == version {
			return e, true
		}
	}
	return indexEntry{}, false
}

func (x buildIndex) record(e indexEntry) error {
	if err := os.MkdirAll(filepath.Dir(x.path), 0o755); err != nil {
		return err
	}
	l := flock.New(x.path + ".lock")
	if err := l.Lock(); err != nil {
		return err
	}
	defer l.Unlock()
	es := slices.DeleteFunc(x.read(), func(o indexEntry) bool {
		return o.Inputs == e.Inputs && o.Builder == e.Builder && o.BuildKitVersion == e.BuildKitVersion
	})
	es = append([]indexEntry{e}, es...)
	if len(es) > maxIndexEntries {
		es = es[:maxIndexEntries]
	}
	raw, err := json.MarshalIndent(es, "", "  ")
	if err != nil {
		return err
	}
	return replacefile.Write(x.path, raw, 0o644)
}
