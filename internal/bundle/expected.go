package bundle

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ExpectedSchema names the shape of expected.json. It changes only when a
// field is removed or changes meaning; new fields may appear.
const ExpectedSchema = "macabox.bundle/v1"

// Expected is expected.json: what the exported build produced and from
// what, so that a rebuild can be compared with it and, when it differs,
// explained. It holds no secret, no time of day and no path of the
// exporting machine.
type Expected struct {
	Schema    string `json:"schema"`
	Target    string `json:"target"`
	Kind      string `json:"kind"`
	Simulated bool   `json:"simulated"`
	// SimulatedNote is set with Simulated: the words every document uses.
	SimulatedNote string `json:"simulatedNote,omitempty"`
	MACA          MACA   `json:"maca"`
	Python        string `json:"python,omitempty"`

	ManifestDigest string `json:"manifestDigest"`
	ConfigDigest   string `json:"configDigest"`
	MediaType      string `json:"mediaType"`
	Platform       string `json:"platform"`
	// Tags are the names the image was given; they do not change its digest.
	Tags []string `json:"tags,omitempty"`

	BuildKit BuildKit `json:"buildkit"`
	// SourceDateEpoch is the epoch every timestamp was set to; EpochSource
	// says where it came from (flag, env, git, default).
	SourceDateEpoch int64  `json:"sourceDateEpoch"`
	EpochSource     string `json:"epochSource,omitempty"`
	// InputsDigest is the recipe inputs hash (plan.Plan.InputsDigest).
	InputsDigest string `json:"inputsDigest"`

	Bases   []Base        `json:"bases"`
	Args    []Arg         `json:"args,omitempty"`
	Context []ContextFile `json:"context,omitempty"`
	// Secrets are the ids of build secrets the Dockerfile mounts; their
	// values are never in a bundle.
	Secrets []string `json:"secrets,omitempty"`
	// Runtime is how the recipes want containers started.
	Runtime Runtime `json:"runtime"`

	Steps  []Step  `json:"steps"`
	Layers []Layer `json:"layers"`

	// Lock says the build was pinned by a lock file, shipped as LockName;
	// nil means nothing was locked. Unlocked lists what no lock pins: with
	// a lock, run steps that fetch by themselves; without one, every base,
	// package and repository the build resolved when it ran.
	Lock     *LockInfo       `json:"lock,omitempty"`
	Unlocked []UnlockedInput `json:"unlocked,omitempty"`

	Installed []Package `json:"installed"`
	// InventoryNote says how Installed was found and what it cannot see.
	InventoryNote string `json:"inventoryNote"`

	// Macabox is the macabox that made the bundle.
	Macabox *Tool `json:"macabox,omitempty"`
}

// LockInfo is the lock a locked build was pinned with.
type LockInfo struct {
	// File is the lock's name in the bundle.
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// Inputs is the recipe inputs digest the lock was made from; Current
	// says it is the build's own.
	Inputs  string `json:"inputs"`
	Current bool   `json:"current"`
}

// UnlockedInput is one input no lock pins.
type UnlockedInput struct {
	Step   string `json:"step"`
	Where  string `json:"where"`
	Reason string `json:"reason"`
}

// MACA is the MACA SDK the base declares.
type MACA struct {
	Version string `json:"version,omitempty"`
	Path    string `json:"path,omitempty"`
}

// Runtime is the recipes' wishes for containers of the image.
type Runtime struct {
	Privileged bool   `json:"privileged,omitempty"`
	ShmSize    string `json:"shmSize,omitempty"`
}

// BuildKit names the BuildKit that produced the digest.
type BuildKit struct {
	// Version is what the builder reported ("v0.0.0+unknown" for a
	// buildkitd built without release information).
	Version string `json:"version"`
	// Client is the BuildKit client library macabox was built with; the
	// project pins its buildkitd to the same release.
	Client string `json:"client,omitempty"`
}

// Release is the version a person should install to reproduce: the
// builder's own when it reports a release, else the client's.
func (b BuildKit) Release() string {
	if isRelease(b.Version) {
		return b.Version
	}
	return b.Client
}

// isRelease tells a release version from what a buildkitd built without
// version ldflags reports (v0.0.0+unknown) or from an empty one.
func isRelease(v string) bool {
	return strings.HasPrefix(v, "v") && !strings.HasPrefix(v, "v0.0.0")
}

// Base is one image a FROM line names, and how the export supplied it.
type Base struct {
	Ref string `json:"ref"`
	// Image is where a registry base was pulled from, when the export
	// replaced the FROM reference (--base REF=docker-image://IMAGE).
	Image  string `json:"image,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Source is "oci-layout" (a local OCI layout a reviewer must provide)
	// or "registry" (pulled by reference; reproduce pins it by Digest).
	Source string `json:"source"`
}

// Base sources.
const (
	SourceOCILayout = "oci-layout"
	SourceRegistry  = "registry"
)

// Arg is a build argument with its final value.
type Arg struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ContextFile is a file of the build context, with the mode the build gave
// it: a rebuild must present the same mode, whatever the reviewer's umask.
type ContextFile struct {
	Name   string `json:"name"`
	Mode   string `json:"mode"`
	SHA256 string `json:"sha256"`
}

// Exec reports whether the file is executable (mode 0755).
func (c ContextFile) Exec() bool { return c.Mode == "0755" }

// Step is one recipe step and the Dockerfile lines it became.
type Step struct {
	Index  int    `json:"index"`
	Recipe string `json:"recipe"`
	Kind   string `json:"kind"`
	// Pos is "file:line:col" in the recipe tree.
	Pos    string `json:"pos"`
	Source string `json:"source,omitempty"`
	// FirstLine and LastLine are the Dockerfile lines of the step's
	// instruction (its comment excluded).
	FirstLine int `json:"firstLine"`
	LastLine  int `json:"lastLine"`
}

// Layer is one layer of the image, bottom first.
type Layer struct {
	Index     int    `json:"index"`
	Digest    string `json:"digest"`
	DiffID    string `json:"diffId"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
	// Base is true for the layers of the FROM image.
	Base bool `json:"base,omitempty"`
	// Line is the Dockerfile line of the instruction that made the layer,
	// 0 for base layers or when the history could not be matched.
	Line        int    `json:"line,omitempty"`
	Instruction string `json:"instruction,omitempty"`
	// Step is the recipe step (index into Steps), or -1.
	Step int `json:"step"`
	// Files is the bundle file holding the layer's file listing, and
	// FileCount its number of entries (build layers only).
	Files     string `json:"files,omitempty"`
	FileCount int    `json:"fileCount,omitempty"`
}

// Package is one installed package the build added or changed.
type Package struct {
	Manager string `json:"manager"` // dpkg, python, conda
	Name    string `json:"name"`
	Version string `json:"version"`
	// Step is the recipe step whose layer installed it, or -1.
	Step int `json:"step"`
	// Where is the install location for Python and conda packages.
	Where string `json:"where,omitempty"`
}

// parseExpected reads expected.json strictly: an unknown schema is refused
// rather than half understood.
func parseExpected(data []byte) (*Expected, error) {
	var e Expected
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", ExpectedName, err)
	}
	if e.Schema != ExpectedSchema {
		return nil, fmt.Errorf("%s: schema %q, this macabox reads %q", ExpectedName, e.Schema, ExpectedSchema)
	}
	if e.ManifestDigest == "" {
		return nil, fmt.Errorf("%s: no manifestDigest", ExpectedName)
	}
	return &e, nil
}

// stepAt returns the step whose instruction covers a Dockerfile line, or -1.
func (e *Expected) stepAt(line int) int {
	for _, s := range e.Steps {
		if line >= s.FirstLine && line <= s.LastLine {
			return s.Index
		}
	}
	return -1
}

// step returns the step with index i.
func (e *Expected) step(i int) (Step, bool) {
	for _, s := range e.Steps {
		if s.Index == i {
			return s, true
		}
	}
	return Step{}, false
}

// Pull is the reference a registry base is pulled by, pinned to its
// recorded digest when there is one.
func (b Base) Pull() string {
	img := b.Image
	if img == "" {
		img = b.Ref
	}
	img = trimDigest(img)
	if b.Digest == "" {
		return img
	}
	return img + "@" + b.Digest
}
