// Package plan resolves a recipe target (a Stack, or an Image on its own) into
// a Plan: the base chain, the layers, the arguments with their final values,
// the environment, labels, runtime wishes, smoke tests and an ordered list of
// build steps, each tied to the recipe position it came from. Render turns a
// Plan into the one Dockerfile that BuildKit builds and a bundle ships.
//
// Both steps are pure and deterministic: the same recipes and options give the
// same Plan and the same Dockerfile bytes, whatever the working directory or
// map iteration order.
package plan

import (
	"os"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// Options are the caller's choices that the recipes leave open.
type Options struct {
	// Args overrides recipe arguments (--set NAME=VALUE). Every key must be
	// an argument some recipe of the target declares.
	Args map[string]string
	// Lock, when set, pins the plan to a lock file (see applyLock); LockFile
	// is where it was read, for messages.
	Lock     *recipe.Lock
	LockFile string
}

// Plan is a resolved target. Positions in it are relative to the recipe root
// (forward slashes), so that a Plan and what is rendered from it do not depend
// on where the project is checked out; only ContextFile.Path is absolute.
type Plan struct {
	Target    string      `json:"target"`
	Kind      recipe.Kind `json:"kind"`
	TargetPos recipe.Pos  `json:"targetPos"`
	// Cell is set when the target is a cell of a matrix: which, and its
	// values.
	Cell *recipe.Cell `json:"cell,omitempty"`
	// BaseRef is the image reference the build starts from.
	BaseRef string `json:"baseRef"`
	// Simulated is true when the base is a stand-in for MACA; every output
	// derived from the plan must say so.
	Simulated bool   `json:"simulated"`
	MACA      MACA   `json:"maca"`
	Python    string `json:"python,omitempty"`
	Platform  string `json:"platform"`
	// Images is the base chain, the image the build starts from first.
	Images []string `json:"images"`
	Layers []string `json:"layers,omitempty"`
	Tags   []string `json:"tags,omitempty"`

	Args    []Arg       `json:"args,omitempty"`
	Env     []EnvVar    `json:"env,omitempty"`
	Labels  []Label     `json:"labels"`
	Runtime Runtime     `json:"runtime"`
	Smoke   []SmokeTest `json:"smoke,omitempty"`

	Stages  []Stage       `json:"stages"`
	Steps   []Step        `json:"steps"`
	Context []ContextFile `json:"context,omitempty"`

	// Lock is the lock the plan is pinned to; nil for an unlocked plan.
	Lock *LockState `json:"lock,omitempty"`
	// Unlocked lists the inputs no lock can pin (run scripts that fetch).
	Unlocked []Unlocked `json:"unlocked,omitempty"`

	// Warnings are things that do not stop the build but defeat a promise
	// such as reproducibility (a git step without a commit, for instance).
	Warnings []Warning `json:"warnings,omitempty"`
	// Assumptions are the pinned values no source shows (the recipes'
	// unverified marks): what a hardware run has to confirm.
	Assumptions []Assumption `json:"assumptions,omitempty"`

	// InputsDigest is "sha256:<hex>" over everything the build is made of:
	// the recipe documents involved (without positions, so comments and
	// formatting do not count), the context files and the resolved args.
	InputsDigest string `json:"inputsDigest"`
}

// MACA is the MACA SDK the base declares.
type MACA struct {
	Version string `json:"version,omitempty"`
	Path    string `json:"path,omitempty"`
}

// Arg is a build argument with its final value.
type Arg struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Default is the value the recipes alone give, without Options.Args
	// (a default such as v${VERSION} follows an overridden VERSION only in
	// Value).
	Default string `json:"default"`
	// Overridden is true when Options.Args set the value.
	Overridden bool `json:"overridden,omitempty"`
	// Builtin marks the arguments macabox provides from the base chain
	// (recipe.BuiltinArgs): MACA_VERSION, MACA_PATH, PYTHON, TARGET*.
	Builtin bool `json:"builtin,omitempty"`
	// Recipe and Pos say where Default was written (the last recipe in
	// image → layers → stack order that sets it).
	Recipe string     `json:"recipe"`
	Pos    recipe.Pos `json:"pos,omitzero"`
}

// EnvVar is one environment assignment, in the order the build makes them.
// Value keeps references to the environment as ${NAME} (resolved by the
// build, since inherited variables such as PATH are only known there); a
// literal dollar sign is written $$. Arguments are already substituted.
type EnvVar struct {
	Name   string     `json:"name"`
	Value  string     `json:"value"`
	Recipe string     `json:"recipe"`
	Pos    recipe.Pos `json:"pos"`
}

// Label is one image label; Plan.Labels is sorted by key.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Runtime is how containers of the image want to be started, merged over
// the chain: privileged if any recipe asks, the last shm size given.
type Runtime struct {
	Privileged    bool       `json:"privileged,omitempty"`
	PrivilegedPos recipe.Pos `json:"privilegedPos,omitzero"`
	ShmSize       string     `json:"shmSize,omitempty"`
	ShmSizePos    recipe.Pos `json:"shmSizePos,omitzero"`
}

// SmokeTest is a test of the target with the recipe it comes from: the base
// chain's first, then each layer's, then the stack's.
type SmokeTest struct {
	Name   string     `json:"name"`
	Kind   string     `json:"kind"` // run, file, variable or service
	Recipe string     `json:"recipe"`
	Pos    recipe.Pos `json:"pos"`
	Needs  []string   `json:"needs,omitempty"`
	// Test is the test as the runners take it, made once from the recipe.
	Test smoke.Test `json:"-"`
	// Source is the test as written, with a position on every field, for
	// problems found later (a reference that lacks a compared field).
	Source *recipe.Test `json:"-"`
}

// StageRole says why a Dockerfile stage exists.
type StageRole string

const (
	// RoleBase is the image the build starts from.
	RoleBase StageRole = "base"
	// RoleRecipe holds one recipe's steps on top of the previous recipe's
	// stage; the last such stage is the image being built.
	RoleRecipe StageRole = "recipe"
	// RoleHelper is a recipe's own build stage (multi-stage builds).
	RoleHelper StageRole = "helper"
)

// Stage is one Dockerfile stage, in the order it is rendered.
type Stage struct {
	Name string    `json:"name"`
	Role StageRole `json:"role"`
	// From is the stage this one starts from, or an image reference when
	// FromImage is set.
	From      string     `json:"from"`
	FromImage bool       `json:"fromImage,omitempty"`
	Recipe    string     `json:"recipe,omitempty"`
	Pos       recipe.Pos `json:"pos"`
	// Args are the build arguments declared in the stage: the recipe's own
	// and those its run scripts refer to.
	Args []string `json:"args,omitempty"`
}

// ContextFile is a file the build context must hold.
type ContextFile struct {
	// Source is the path relative to the recipe root, forward slashes; for
	// a file of the catalog built into macabox, its name there
	// (catalog:recipes/demo/src/x.py).
	Source string `json:"source"`
	// Path is the absolute path of the file on this machine; empty for a
	// file of the catalog, which exists only inside macabox.
	Path string `json:"path,omitempty"`
	// Name is the path inside the build context:
	// recipes/<recipe name>/<path relative to the recipe's folder>.
	Name string `json:"name"`
	// Mode is 0644, or 0755 when the file is executable, so that the
	// context does not carry the umask of whoever checked the project out.
	Mode uint32 `json:"mode"`
	// SHA256 is the hex digest of the content.
	SHA256 string `json:"sha256"`
	// embedded is the content of a file without a Path.
	embedded []byte
}

// Embedded returns the content of a file of the catalog built into
// macabox, which has no Path; ok is false for a file on disk.
func (c ContextFile) Embedded() (data []byte, ok bool) {
	return c.embedded, c.Path == ""
}

// Read returns the file's content: from the disk, or for a file of the
// catalog, as planned.
func (c ContextFile) Read() ([]byte, error) {
	if data, ok := c.Embedded(); ok {
		return data, nil
	}
	return os.ReadFile(c.Path)
}

// Warning is a positioned remark about the plan.
type Warning struct {
	Pos recipe.Pos `json:"pos"`
	Msg string     `json:"msg"`
}

func (w Warning) String() string { return w.Pos.String() + ": " + w.Msg }
