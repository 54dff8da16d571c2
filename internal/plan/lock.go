package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// LockState says how a plan relates to a lock file.
type LockState struct {
	// File is the lock's path relative to the recipe root.
	File string `json:"file"`
	// Inputs is the recipe inputs digest the lock was made from; Current
	// says whether it is the plan's.
	Inputs  string `json:"inputs"`
	Current bool   `json:"current"`
	// Bases maps a base supplied from an OCI layout to the digest the lock
	// recorded, for the builder to check against --base.
	Bases map[string]string `json:"bases,omitempty"`
}

// Unlocked is an input no lock can pin: a run script that fetches from the
// network.
type Unlocked struct {
	Step   string     `json:"step"`
	Pos    recipe.Pos `json:"pos"`
	Reason string     `json:"reason"`
}

// PinnedWheel is one distribution a locked pip step installs, checked
// against its hash.
type PinnedWheel struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	// URL is where a package the recipe names by URL or path comes from;
	// "" for one found on an index.
	URL string `json:"url,omitempty"`
}

// lockable kinds are the steps whose result a lock pins.
var lockable = []StepKind{KindApt, KindDnf, KindPip, KindGit, KindDownload}

// Lockable reports whether a lock pins what a step of kind k installs.
func Lockable(k StepKind) bool { return slices.Contains(lockable, k) }

// identifySteps gives every step its id ("<recipe>#<n>", the n-th step of
// its recipe in the order the plan applies them) and the digest of its
// inputs, computed before any lock is applied.
func (p *Plan) identifySteps() error {
	count := map[string]int{}
	for i := range p.Steps {
		s := &p.Steps[i]
		count[s.Recipe]++
		s.ID = s.Recipe + "#" + strconv.Itoa(count[s.Recipe])
		d, err := stepDigest(s)
		if err != nil {
			return err
		}
		s.Inputs = d
	}
	return nil
}

// stepDigest hashes what a step does: its kind, stage and values, without
// its position or citation, so reformatting a recipe changes nothing.
func stepDigest(s *Step) (string, error) {
	data, err := json.Marshal(map[string]any{
		"format": inputsFormat, "kind": s.Kind, "stage": s.Stage,
		"run": s.Run, "apt": s.Apt, "dnf": s.Dnf, "pip": s.Pip, "git": s.Git,
		"copy": s.Copy, "download": s.Download, "env": s.Env, "workdir": s.Workdir, "user": s.User,
	})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// networkTools are the commands in a run script that fetch from the network
// by themselves, so that the lock cannot pin what they get. Matched as whole
// words; the list names what recipes for MACA stacks actually use.
var networkTools = regexp.MustCompile(`(?m)(^|[\s;&|(])(` + strings.Join([]string{
	`curl`, `wget`, `git\s+(clone|fetch|pull|ls-remote|submodule)`,
	`pip3?\s+(install|download)`, `-m\s+pip\s+(install|download)`, `uv\s+(pip\s+install|sync|add)`,
	`huggingface-cli\s+download`, `hf\s+download`, `modelscope\s+download`, `mineru-models-download`,
	`apt-get\s+(install|update)`, `apt\s+install`, `(dnf|yum)\s+install`,
	`npm\s+(install|ci)`, `conda\s+install`, `go\s+(get|install)`, `cargo\s+install`,
}, "|") + `)\b`)

// UnlockedInputs lists every input of the plan that no lock pins: with a
// lock, the run steps that fetch from the network by themselves; without
// one, also every base not addressed by digest and every apt, dnf, pip and
// git step.
func (p *Plan) UnlockedInputs() []Unlocked {
	out := slices.Clone(p.Unlocked)
	if p.Lock != nil {
		return out
	}
	for _, s := range p.Stages {
		if s.FromImage && s.From != "scratch" && !strings.Contains(s.From, "@sha256:") {
			out = append(out, Unlocked{Step: "base", Pos: s.Pos, Reason: "base image " + s.From + " is not pinned by digest"})
		}
	}
	for _, s := range p.Steps {
		if Lockable(s.Kind) && s.Kind != KindDownload && !s.Locked {
			out = append(out, Unlocked{Step: s.ID, Pos: s.Pos, Reason: string(s.Kind) + ": resolved when built"})
		}
	}
	slices.SortStableFunc(out, func(a, b Unlocked) int { return strings.Compare(a.Pos.String(), b.Pos.String()) })
	return out
}

// findUnlocked lists the run steps that fetch from the network on their own.
func (p *Plan) findUnlocked() {
	p.Unlocked = nil
	for _, s := range p.Steps {
		if s.Kind != KindRun || s.Run == nil || s.Run.Network == "none" {
			continue
		}
		var tools []string
		for _, m := range networkTools.FindAllStringSubmatch(s.Run.Script, -1) {
			tool := strings.Join(strings.Fields(m[2]), " ")
			if !slices.Contains(tools, tool) {
				tools = append(tools, tool)
			}
		}
		if len(tools) > 0 {
			p.Unlocked = append(p.Unlocked, Unlocked{Step: s.ID, Pos: s.Pos, Reason: "run: " + strings.Join(tools, ", ")})
		}
	}
}

// applyLock pins the plan to a lock: FROM images by digest, the exact
// package sets of apt, dnf and pip steps (pip with their hashes), and the
// commits of git steps. A step whose inputs changed since it was locked is
// refused: its pins could not say what the recipe now asks for.
func (r *resolver) applyLock(l *recipe.Lock, file string) {
	p := r.plan
	p.Lock = &LockState{File: file, Inputs: l.Inputs.Value, Current: l.Inputs.Value == p.InputsDigest}
	fail := func(pos recipe.Pos, field, format string, args ...any) {
		r.errs = append(r.errs, &recipe.Error{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if l.Target.Value != p.Target {
		fail(l.Target.Pos, "target", "this lock is for %s, not %s", l.Target.Value, p.Target)
		return
	}
	if l.Platform.Value != p.Platform {
		fail(l.Platform.Pos, "platform", "this lock is for %s, not %s: lock %s for %s", l.Platform.Value, p.Platform, p.Target, p.Platform)
		return
	}
	for i := range p.Stages {
		s := &p.Stages[i]
		if !s.FromImage || s.From == "scratch" {
			continue
		}
		b, ok := l.Base(s.From)
		if !ok {
			fail(l.Pos, "bases", "the base image %s is not in the lock; run macabox lock --update %s", s.From, p.Target)
			continue
		}
		if b.Source.Value == "oci-layout" {
			if p.Lock.Bases == nil {
				p.Lock.Bases = map[string]string{}
			}
			p.Lock.Bases[s.From] = b.Digest.Value
			continue
		}
		ref, _, _ := strings.Cut(s.From, "@")
		s.From = ref + "@" + b.Digest.Value
	}
	for i := range p.Steps {
		s := &p.Steps[i]
		if !Lockable(s.Kind) {
			continue
		}
		ls, ok := l.Step(s.ID)
		switch {
		case !ok:
			fail(s.Pos, string(s.Kind), "step %s is not in the lock %s; run macabox lock --update %s", s.ID, file, p.Target)
			continue
		case ls.Kind.Value != string(s.Kind):
			fail(ls.Kind.Pos, "kind", "the lock has step %s as a %s step, the recipe as a %s step; run macabox lock --update %s", s.ID, ls.Kind.Value, s.Kind, p.Target)
			continue
		case ls.Inputs.Value != s.Inputs:
			fail(s.Pos, string(s.Kind), "step %s changed since it was locked (%s); run macabox lock --update %s", s.ID, file, p.Target)
			continue
		}
		pinStep(s, ls)
		if s.Kind == KindGit {
			// The warning that the checkout follows a branch no longer holds.
			p.Warnings = slices.DeleteFunc(p.Warnings, func(w Warning) bool { return w.Pos == s.Pos })
		}
	}
}

// pinStep replaces what a step resolves by what its lock entry recorded.
func pinStep(s *Step, ls recipe.LockedStep) {
	switch s.Kind {
	case KindApt:
		a := *s.Apt
		a.Pinned = nil
		for _, pk := range ls.Packages {
			a.Pinned = append(a.Pinned, aptPin(pk))
		}
		s.Apt = &a
	case KindDnf:
		n := *s.Dnf
		n.Pinned = nil
		for _, pk := range ls.Packages {
			n.Pinned = append(n.Pinned, dnfPin(pk))
		}
		s.Dnf = &n
	case KindPip:
		pp := *s.Pip
		pp.Pinned = nil
		for _, pk := range ls.Packages {
			w := PinnedWheel{Name: pk.Name.Value, Version: pk.Version.Value, SHA256: pk.SHA256.Value}
			if pk.Direct.Value {
				w.URL = pk.URL.Value
			}
			pp.Pinned = append(pp.Pinned, w)
		}
		s.Pip = &pp
	case KindGit:
		g := *s.Git
		g.Commit = ls.Git.Commit.Value
		s.Git = &g
	}
	s.Locked = true
}

// aptPin is apt-get's name:arch=version; packages of every architecture
// ("all") are named without one.
func aptPin(pk recipe.LockedPackage) string {
	name := pk.Name.Value
	if a := pk.Arch.Value; a != "" && a != "all" {
		name += ":" + a
	}
	return name + "=" + pk.Version.Value
}

// dnfPin is dnf's name-[epoch:]version-release.arch.
func dnfPin(pk recipe.LockedPackage) string {
	s := pk.Name.Value + "-" + pk.Version.Value
	if pk.Arch.Value != "" {
		s += "." + pk.Arch.Value
	}
	return s
}
