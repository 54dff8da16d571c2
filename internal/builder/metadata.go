package builder

import (
	"encoding/json"
	"io"
	"sort"
)

// Metadata is the --metadata-file document: what was built, from what, by
// which BuildKit. It never holds secrets or build args.
type Metadata struct {
	ManifestDigest  string            `json:"manifestDigest,omitempty"`
	ConfigDigest    string            `json:"configDigest,omitempty"`
	MediaType       string            `json:"mediaType,omitempty"`
	Tags            []string          `json:"tags,omitempty"`
	Platform        string            `json:"platform,omitempty"`
	BuildKitVersion string            `json:"buildkitVersion"`
	Builder         string            `json:"builder"`
	SourceDateEpoch *int64            `json:"sourceDateEpoch,omitempty"`
	Reproducible    bool              `json:"reproducible"`
	BaseDigests     map[string]string `json:"baseDigests,omitempty"`
	InputsHash      string            `json:"inputsHash,omitempty"`
	// LockedInputs is the locked-inputs digest of a locked build, the key
	// under which the local index records this image.
	LockedInputs string `json:"lockedInputs,omitempty"`
}

// Metadata is the result as a metadata document.
func (r *Result) Metadata() Metadata {
	tags := append([]string(nil), r.Tags...)
	sort.Strings(tags)
	return Metadata{
		ManifestDigest:  r.ManifestDigest,
		ConfigDigest:    r.ConfigDigest,
		MediaType:       r.MediaType,
		Tags:            tags,
		Platform:        r.Platform,
		BuildKitVersion: r.BuildKitVersion,
		Builder:         r.Builder,
		SourceDateEpoch: r.Epoch,
		Reproducible:    r.Epoch != nil,
		BaseDigests:     r.BaseDigests,
		InputsHash:      r.InputsHash,
		LockedInputs:    r.LockedInputs,
	}
}

// WriteMetadata writes the metadata document as indented JSON.
func (r *Result) WriteMetadata(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.Metadata())
}
