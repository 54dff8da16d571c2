package recipe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// KindLock is the kind of a lock file's one document. A lock is not a
// recipe: it sits beside the stack it pins (<stack>.lock.yaml), is written
// by `macabox lock`, and is read only for that stack.
const KindLock Kind = "Lock"

// LockSuffix ends the name of every lock file, so that reading a recipe tree
// can tell them from recipes.
const LockSuffix = ".lock.yaml"

// MaxLockSize is the largest lock file read, in bytes (4 MiB): a stack that
// installs a few thousand packages stays well below it.
const MaxLockSize = 4 << 20

// Lock records the exact identity of every input of one target, so that a
// locked build uses exactly those and drift fails naming what moved. Every
// list is sorted when written, so locking twice with nothing changed gives
// the same bytes, and a change reads as a small diff in a pull request.
type Lock struct {
	Pos        Pos          `yaml:"-"`
	APIVersion Str          `yaml:"apiVersion" required:"true" vars:"none" doc:"lock format version; must be macabox/v1"`
	Kind       Str          `yaml:"kind" required:"true" enum:"Lock" vars:"none" doc:"always Lock"`
	Target     Str          `yaml:"target" required:"true" vars:"none" doc:"the Stack or Image this lock pins"`
	Platform   Str          `yaml:"platform" required:"true" vars:"none" doc:"the platform it was resolved for, e.g. linux/amd64"`
	Inputs     Str          `yaml:"inputs" required:"true" vars:"none" doc:"the recipe inputs digest (sha256:...) the lock was made from: what --frozen compares"`
	Bases      []LockedBase `yaml:"bases" doc:"every FROM image, by the reference the recipes write and the manifest digest it resolved to"`
	Args       []LockedArg  `yaml:"args" doc:"the build arguments as they were when locked (model revisions, release names and the like are pinned only as written)"`
	Steps      []LockedStep `yaml:"steps" doc:"every build step in order: its inputs digest, and for apt, dnf, pip, git and download steps what it resolved to"`
	Unlocked   []Unlocked   `yaml:"unlocked" doc:"what the lock cannot pin: steps that fetch from the network in a plain run script"`
}

// LockedBase is one FROM image.
type LockedBase struct {
	Ref    Str `yaml:"ref" required:"true" vars:"none" doc:"the reference as the recipes write it"`
	Source Str `yaml:"source" required:"true" enum:"registry,oci-layout" vars:"none" doc:"registry: pulled and pinned by digest; oci-layout: supplied with --base, checked against the digest"`
	Digest Str `yaml:"digest" required:"true" vars:"none" doc:"the manifest digest for the lock's platform (sha256:...)"`
}

// LockedArg is one build argument's value.
type LockedArg struct {
	Name  Str `yaml:"name" required:"true" vars:"none" doc:"argument name"`
	Value Str `yaml:"value" vars:"none" doc:"its value when locked"`
}

// LockedStep is one build step. ID is "<recipe>#<n>", the n-th step of the
// recipe (counted from 1 in the order the plan applies them), so that a
// message can name it.
type LockedStep struct {
	ID       Str             `yaml:"id" required:"true" vars:"none" doc:"<recipe>#<n>: the n-th step of that recipe, from 1"`
	Kind     Str             `yaml:"kind" required:"true" enum:"run,apt,dnf,pip,git,copy,download,env,workdir,user" vars:"none" doc:"the step's kind"`
	Inputs   Str             `yaml:"inputs" required:"true" vars:"none" doc:"digest of the step as planned (sha256:...): what changed when --frozen fails"`
	Packages []LockedPackage `yaml:"packages" doc:"apt, dnf and pip steps: every package the step installed, dependencies included"`
	Pip      *LockedPip      `yaml:"pip" doc:"pip steps: the resolver's setting"`
	Git      *LockedGit      `yaml:"git" doc:"git steps: the commit the ref resolved to"`
	Download *LockedDownload `yaml:"download" doc:"download steps: where the file came from"`
}

// LockedPackage is one installed package.
type LockedPackage struct {
	Name    Str  `yaml:"name" required:"true" vars:"none" doc:"package name"`
	Version Str  `yaml:"version" required:"true" vars:"none" doc:"exact version (apt: Debian version; dnf: [epoch:]version-release; pip: the distribution's version)"`
	Arch    Str  `yaml:"arch" vars:"none" doc:"apt and dnf: the architecture installed"`
	Archive Str  `yaml:"archive" vars:"none" doc:"apt: the archive it came from (URL, suite and component)"`
	SHA256  Str  `yaml:"sha256" vars:"none" doc:"pip: sha256 of the file pip chose (64 hex digits)"`
	URL     Str  `yaml:"url" vars:"none" doc:"pip: the file pip chose"`
	Direct  Bool `yaml:"direct" doc:"pip: installed from that URL or path as the recipe names it, not found on an index"`
}

// LockedPip is how pip resolved a step.
type LockedPip struct {
	Version Str `yaml:"version" required:"true" vars:"none" doc:"the image's pip that resolved the set"`
	Index   Str `yaml:"index" vars:"none" doc:"the index URL the step names, if any"`
}

// LockedGit is the commit a git step's ref resolved to.
type LockedGit struct {
	URL        Str               `yaml:"url" required:"true" vars:"none" doc:"the repository"`
	Ref        Str               `yaml:"ref" vars:"none" doc:"the ref the recipe names"`
	Commit     Str               `yaml:"commit" required:"true" vars:"none" doc:"the commit it resolved to (40 or 64 hex digits)"`
	Submodules []LockedSubmodule `yaml:"submodules" doc:"the submodules' commits at that commit"`
}

// LockedSubmodule is one submodule's commit.
type LockedSubmodule struct {
	Path   Str `yaml:"path" required:"true" vars:"none" doc:"path inside the checkout"`
	Commit Str `yaml:"commit" required:"true" vars:"none" doc:"its commit"`
}

// LockedDownload is where a download came from.
type LockedDownload struct {
	URL      Str `yaml:"url" required:"true" vars:"none" doc:"the URL the recipe names"`
	FinalURL Str `yaml:"finalUrl" vars:"none" doc:"where it led after redirects, when that differs"`
	SHA256   Str `yaml:"sha256" required:"true" vars:"none" doc:"the digest the recipe pins (64 hex digits)"`
}

// Unlocked is an input the lock cannot pin.
type Unlocked struct {
	Step   Str `yaml:"step" required:"true" vars:"none" doc:"<recipe>#<n> of the step"`
	Pos    Str `yaml:"pos" required:"true" vars:"none" doc:"file:line:col of the step in its recipe"`
	Reason Str `yaml:"reason" required:"true" vars:"none" doc:"what it fetches, e.g. 'run: curl'"`
}

// LockPath is where the lock of the target defined in recipeFile lives:
// beside it, named after the target.
func LockPath(recipeFile, target string) string {
	dir, _ := splitDir(recipeFile)
	return dir + target + LockSuffix
}

func splitDir(p string) (string, string) {
	i := strings.LastIndexAny(p, `/\`)
	return p[:i+1], p[i+1:]
}

// LoadLock reads and validates a lock file. Every problem comes back as
// Errors with its position; a lock that does not validate is not returned.
func LoadLock(path string) (*Lock, error) {
	// A lock is read like a recipe: a regular file in its folder (a link
	// only to a file beside it), opened without blocking on a pipe.
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	real, info, err := resolveInside(dir, path)
	if err == nil && !info.Mode().IsRegular() {
		err = fileProblem(kindOf(info.Mode()) + ", not a regular file")
	}
	var data []byte
	if err == nil {
		data, err = readRegular(real, info, MaxLockSize+1)
	}
	if err != nil {
		return nil, fmt.Errorf("lock file %s: %w", path, err)
	}
	return ParseLock(path, data)
}

// ParseLock decodes and validates the lock in data; file names it in
// positions.
func ParseLock(file string, data []byte) (*Lock, error) {
	errs := &errorList{}
	if len(data) > MaxLockSize {
		errs.add(Pos{File: file, Line: 1, Col: 1}, "", "lock file is %d bytes; locks are limited to %d bytes", len(data), MaxLockSize)
		return nil, errs.errs.Err()
	}
	if !checkLockText(file, data, errs) {
		return nil, errs.errs.Err()
	}
	d := &decoder{file: file, types: typeTable{}, errs: errs}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := parse(dec, &n); err != nil {
		if errors.Is(err, io.EOF) {
			errs.add(Pos{File: file, Line: 1, Col: 1}, "", "the lock file is empty")
		} else {
			pos, msg := parseErrorPos(file, err.Error())
			errs.add(pos, "", "invalid YAML: %s", msg)
		}
		return nil, errs.errs.Err()
	}
	var more yaml.Node
	if err := parse(dec, &more); !errors.Is(err, io.EOF) {
		errs.add(d.pos(&more), "", "a lock file holds one document")
		return nil, errs.errs.Err()
	}
	if len(n.Content) == 0 || !d.checkTree(n.Content[0]) {
		if len(n.Content) == 0 {
			errs.add(Pos{File: file, Line: 1, Col: 1}, "", "the lock file is empty")
		}
		return nil, errs.errs.Err()
	}
	root := n.Content[0]
	if root.Kind != yaml.MappingNode {
		errs.add(d.pos(root), "", "a lock must be a mapping, found %s", describe(root))
		return nil, errs.errs.Err()
	}
	l := &Lock{}
	d.decode(root, reflect.ValueOf(l).Elem(), target{})
	l.Pos = d.pos(root)
	// Checked even when decoding found problems, so that every problem of
	// a hand-edited lock is reported at once.
	l.validate(errs)
	if err := capErrors(errs.errs).Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// checkLockText refuses what is not text before YAML sees it.
func checkLockText(file string, data []byte, errs *errorList) bool {
	if bytes.IndexByte(data, 0) >= 0 {
		errs.add(Pos{File: file, Line: 1, Col: 1}, "", "the lock file holds a NUL byte: it is not text")
		return false
	}
	return true
}

var (
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	stepIDRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?#[1-9][0-9]*$`)
)

// validate checks what the decoder cannot: the header, the shape of
// digests, hashes and ids, and that nothing is listed twice.
func (l *Lock) validate(errs *errorList) {
	if l.APIVersion.Value != "" && l.APIVersion.Value != APIVersion {
		errs.add(l.APIVersion.Pos, "apiVersion", "unsupported version %s; this release reads %s", quote(l.APIVersion.Value), APIVersion)
	}
	if l.Inputs.Value != "" && !digestRE.MatchString(l.Inputs.Value) {
		errs.add(l.Inputs.Pos, "inputs", "%s is not a digest (sha256: and 64 lowercase hex digits)", quote(l.Inputs.Value))
	}
	seen := map[string]Pos{}
	for _, b := range l.Bases {
		if !digestRE.MatchString(b.Digest.Value) {
			errs.add(b.Digest.Pos, "digest", "%s is not a digest (sha256: and 64 lowercase hex digits)", quote(b.Digest.Value))
		}
		if first, dup := seen["base "+b.Ref.Value]; dup {
			errs.add(b.Ref.Pos, "ref", "base %s is listed twice; first at line %d", quote(b.Ref.Value), first.Line)
		}
		seen["base "+b.Ref.Value] = b.Ref.Pos
	}
	for _, s := range l.Steps {
		l.validateStep(s, seen, errs)
	}
}

func (l *Lock) validateStep(s LockedStep, seen map[string]Pos, errs *errorList) {
	if !stepIDRE.MatchString(s.ID.Value) {
		errs.add(s.ID.Pos, "id", "%s is not a step id (<recipe>#<n>)", quote(s.ID.Value))
	}
	if first, dup := seen["step "+s.ID.Value]; dup {
		errs.add(s.ID.Pos, "id", "step %s is listed twice; first at line %d", s.ID.Value, first.Line)
	}
	seen["step "+s.ID.Value] = s.ID.Pos
	if !digestRE.MatchString(s.Inputs.Value) {
		errs.add(s.Inputs.Pos, "inputs", "%s is not a digest (sha256: and 64 lowercase hex digits)", quote(s.Inputs.Value))
	}
	kind := s.Kind.Value
	hasPackages := kind == "apt" || kind == "dnf" || kind == "pip"
	if len(s.Packages) > 0 && !hasPackages {
		errs.add(s.ID.Pos, "packages", "a %s step installs no packages", kind)
	}
	names := map[string]Pos{}
	for _, p := range s.Packages {
		key := p.Name.Value + " " + p.Arch.Value
		if first, dup := names[key]; dup {
			errs.add(p.Name.Pos, "name", "package %s is listed twice in step %s; first at line %d", p.Name.Value, s.ID.Value, first.Line)
		}
		names[key] = p.Name.Pos
		if kind == "pip" && !hex64RE.MatchString(p.SHA256.Value) {
			errs.add(p.Name.Pos, "sha256", "pip package %s needs the sha256 of its file (64 lowercase hex digits)", p.Name.Value)
		}
	}
	if (s.Pip != nil) != (kind == "pip") {
		errs.add(s.ID.Pos, "pip", "only a pip step has a pip block, and every pip step has one")
	}
	if (s.Git != nil) != (kind == "git") {
		errs.add(s.ID.Pos, "git", "only a git step has a git block, and every git step has one")
	}
	if s.Git != nil && !hex40RE.MatchString(s.Git.Commit.Value) && !hex64RE.MatchString(s.Git.Commit.Value) {
		errs.add(s.Git.Commit.Pos, "commit", "%s is not a commit (40 or 64 lowercase hex digits)", quote(s.Git.Commit.Value))
	}
	if (s.Download != nil) != (kind == "download") {
		errs.add(s.ID.Pos, "download", "only a download step has a download block, and every download step has one")
	}
}

// Step returns the locked step with id.
func (l *Lock) Step(id string) (LockedStep, bool) {
	for _, s := range l.Steps {
		if s.ID.Value == id {
			return s, true
		}
	}
	return LockedStep{}, false
}

// Base returns the locked base with ref.
func (l *Lock) Base(ref string) (LockedBase, bool) {
	for _, b := range l.Bases {
		if b.Ref.Value == ref {
			return b, true
		}
	}
	return LockedBase{}, false
}
