package plan

import "github.com/ccf-ai-infra/macabox/internal/recipe"

// StepKind names what a step does.
type StepKind string

const (
	KindRun      StepKind = "run"
	KindApt      StepKind = "apt"
	KindDnf      StepKind = "dnf"
	KindPip      StepKind = "pip"
	KindGit      StepKind = "git"
	KindCopy     StepKind = "copy"
	KindDownload StepKind = "download"
	KindEnv      StepKind = "env"
	KindWorkdir  StepKind = "workdir"
	KindUser     StepKind = "user"
)

// Step is one resolved build step. Exactly one of the kind fields is set;
// its values have arguments substituted and defaults applied, so rendering
// needs nothing but the step.
type Step struct {
	Index int `json:"index"`
	// ID is "<recipe>#<n>", the n-th step of its recipe: how a lock and its
	// messages name the step.
	ID string `json:"id"`
	// Inputs is the digest of what the step does, before any lock pins it.
	Inputs string   `json:"inputs"`
	Kind   StepKind `json:"kind"`
	// Locked says a lock pinned what the step installs.
	Locked bool       `json:"locked,omitempty"`
	Recipe string     `json:"recipe"`
	Stage  string     `json:"stage"`
	Pos    recipe.Pos `json:"pos"`
	// Source cites the upstream document the step follows.
	Source string `json:"source,omitempty"`

	Run      *RunStep      `json:"run,omitempty"`
	Apt      *AptStep      `json:"apt,omitempty"`
	Dnf      *DnfStep      `json:"dnf,omitempty"`
	Pip      *PipStep      `json:"pip,omitempty"`
	Git      *GitStep      `json:"git,omitempty"`
	Copy     *CopyStep     `json:"copy,omitempty"`
	Download *DownloadStep `json:"download,omitempty"`
	Env      *EnvVar       `json:"env,omitempty"`
	Workdir  string        `json:"workdir,omitempty"`
	User     string        `json:"user,omitempty"`
}

// SecretIDs are the ids of the build secrets the step mounts, in order.
func (s *Step) SecretIDs() []string {
	switch {
	case s.Run != nil:
		return s.Run.Secrets
	case s.Git != nil && s.Git.Token != "":
		return []string{s.Git.Token}
	case s.Pip != nil && s.Pip.Netrc != "":
		return []string{s.Pip.Netrc}
	}
	return nil
}

// RunStep is a shell script, kept exactly as written: the shell expands it,
// with the build arguments in its environment.
type RunStep struct {
	Script  string   `json:"script"`
	Secrets []string `json:"secrets,omitempty"`
	Cache   []string `json:"cache,omitempty"`
	Network string   `json:"network,omitempty"`
}

// AptStep installs Debian packages.
type AptStep struct {
	Packages     []string `json:"packages"`
	NoRecommends bool     `json:"noRecommends"`
	// Pinned is the locked set, name[:arch]=version for every package the
	// step installed when locked, dependencies included.
	Pinned []string `json:"pinned,omitempty"`
}

// DnfStep installs RPM packages after adding repositories.
type DnfStep struct {
	Packages []string  `json:"packages"`
	Repos    []DnfRepo `json:"repos,omitempty"`
	// Pinned is the locked set, name-[epoch:]version-release.arch.
	Pinned []string `json:"pinned,omitempty"`
}

// DnfRepo is an extra RPM repository.
type DnfRepo struct {
	Name    string `json:"name"`
	BaseURL string `json:"baseurl"`
	GPGKey  string `json:"gpgkey,omitempty"`
}

// PipStep installs Python packages with `<python> -m pip install`.
type PipStep struct {
	Python       string   `json:"python"`
	Packages     []string `json:"packages"`
	Index        string   `json:"index,omitempty"`
	ExtraIndex   []string `json:"extraIndex,omitempty"`
	TrustedHosts []string `json:"trustedHosts,omitempty"`
	Keep         []string `json:"keep,omitempty"`
	NoDeps       bool     `json:"noDeps,omitempty"`
	// Pinned is the locked set: installed with --require-hashes --no-deps.
	Pinned []PinnedWheel `json:"pinned,omitempty"`
	// Netrc is the id of a build secret holding a netrc file, which pip
	// reads its index credentials from.
	Netrc string `json:"netrc,omitempty"`
}

// GitStep checks out a repository.
type GitStep struct {
	URL string `json:"url"`
	// Token is the id of a build secret holding an access token, or
	// USER:PASSWORD, that git sends to the host of URL.
	Token      string `json:"token,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Commit     string `json:"commit,omitempty"`
	Dest       string `json:"dest"`
	Submodules bool   `json:"submodules,omitempty"`
	KeepGitDir bool   `json:"keepGitDir,omitempty"`
}

// CopyStep copies files from the build context, or from a stage when
// FromStage is set (then Sources are paths inside that stage).
type CopyStep struct {
	FromStage string   `json:"fromStage,omitempty"`
	Sources   []string `json:"sources"`
	Dest      string   `json:"dest"`
	Mode      string   `json:"mode,omitempty"`
	Owner     string   `json:"owner,omitempty"`
}

// DownloadStep fetches a URL whose content must have the given digest.
type DownloadStep struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	Dest   string `json:"dest"`
	Mode   string `json:"mode"`
}
