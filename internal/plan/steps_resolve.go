package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Shapes of values that end up inside mount options, repository files and
// COPY flags, where the frontend or the tool gives some characters a meaning
// no quoting can take away (a ',' in a mount option, a newline in a repo file).
var (
	secretIDShape = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)
	mountPath     = regexp.MustCompile(`^/[A-Za-z0-9._/+@%:~-]*$`)
	modeShape     = regexp.MustCompile(`^0?[0-7]{3}$|^[0-7]{4}$`)
	repoIDShape   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._:-]*$`)
)

// step resolves one recipe step into the plan (an env step becomes one plan
// step per variable).
func (r *resolver) step(u *unit, stage string, helpers map[string]string, s *recipe.Step) {
	ps := Step{Recipe: u.name, Stage: stage, Pos: r.rel(s.Pos), Source: oneLine(s.Source.Value)}
	switch {
	case s.Run != nil:
		ps.Kind, ps.Run = KindRun, r.runStep(s)
	case s.Apt != nil:
		ps.Kind, ps.Apt = KindApt, r.aptStep(s.Apt)
	case s.Dnf != nil:
		ps.Kind, ps.Dnf = KindDnf, r.dnfStep(s.Dnf)
	case s.Pip != nil:
		ps.Kind, ps.Pip = KindPip, r.pipStep(s.Pip)
	case s.Git != nil:
		ps.Kind, ps.Git = KindGit, r.gitStep(s)
	case s.Copy != nil:
		ps.Kind, ps.Copy = KindCopy, r.copyStep(u, s.Copy, helpers)
	case s.Download != nil:
		ps.Kind, ps.Download = KindDownload, r.downloadStep(s.Download)
	case s.Env != nil:
		r.envSteps(u, stage, s.Env, ps.Source)
		return
	case s.Workdir != nil:
		ps.Kind = KindWorkdir
		ps.Workdir = r.path(*s.Workdir, "workdir")
	case s.User != nil:
		ps.Kind = KindUser
		ps.User, _ = r.checked(*s.User, "user", recipe.CheckOwner)
	default:
		r.fail(s.Pos, "", "step has no kind")
		return
	}
	r.addStep(ps)
}

func (r *resolver) addStep(ps Step) {
	ps.Index = len(r.plan.Steps)
	r.plan.Steps = append(r.plan.Steps, ps)
}

// envSteps adds one step per variable, in order, so that a value can refer
// to a variable set just before it (one ENV instruction expands all its
// values against the environment as it was before the instruction).
func (r *resolver) envSteps(u *unit, stage string, m recipe.Map, source string) {
	for _, kv := range m {
		name := kv.Key.Value
		if !recipe.IsName(name) {
			r.fail(kv.Key.Pos, "env", "variable name %q must be letters, digits and '_', not starting with a digit", name)
			continue
		}
		value, ok := r.envValue(kv.Value)
		if !ok {
			continue
		}
		ev := EnvVar{Name: name, Value: value, Recipe: u.name, Pos: r.rel(kv.Key.Pos)}
		r.plan.Env = append(r.plan.Env, ev)
		r.addStep(Step{Kind: KindEnv, Recipe: u.name, Stage: stage, Pos: ev.Pos, Source: source, Env: &ev})
	}
}

func (r *resolver) runStep(s *recipe.Step) *RunStep {
	rs := s.Run
	out := &RunStep{Script: rs.Script.Value, Network: rs.Network.Value}
	if strings.TrimSpace(out.Script) == "" {
		r.fail(rs.Script.Pos, "run", "the script is empty")
	}
	out.Secrets = r.secrets(rs.Secrets)
	for _, c := range rs.Cache {
		if !mountPath.MatchString(c.Value) {
			r.fail(c.Pos, "cache", "cache directory %q must be an absolute path of letters, digits and ._/+@%%:~- (it goes into a --mount option)", c.Value)
		}
		out.Cache = append(out.Cache, c.Value)
	}
	if out.Network == "default" {
		out.Network = ""
	}
	return out
}

func (r *resolver) secrets(ids []recipe.Str) []string {
	var out []string
	for _, id := range ids {
		out = append(out, r.secretID(id, "secrets"))
	}
	return out
}

// secretID checks the id of a build secret, which goes into a --mount
// option and a path under /run/secrets.
func (r *resolver) secretID(id recipe.Str, field string) string {
	if id.Value != "" && !secretIDShape.MatchString(id.Value) {
		r.fail(id.Pos, field, "secret id %q must be letters, digits and ._-", id.Value)
	}
	return id.Value
}

func (r *resolver) aptStep(a *recipe.AptStep) *AptStep {
	return &AptStep{
		Packages:     r.checkedAll(a.Packages, "packages", recipe.CheckPackage),
		NoRecommends: a.NoRecommends.Pos.IsZero() || a.NoRecommends.Value,
	}
}

func (r *resolver) dnfStep(d *recipe.DnfStep) *DnfStep {
	out := &DnfStep{Packages: r.checkedAll(d.Packages, "packages", recipe.CheckPackage)}
	for _, repo := range d.Repos {
		if !repoIDShape.MatchString(repo.Name.Value) {
			r.fail(repo.Name.Pos, "name", "repository id %q must be letters, digits and ._:-", repo.Name.Value)
		}
		base, _ := r.checked(repo.BaseURL, "baseurl", recipe.CheckHTTPURL)
		key, _ := r.checked(repo.GPGKey, "gpgkey", recipe.CheckHTTPURL)
		out.Repos = append(out.Repos, DnfRepo{Name: repo.Name.Value, BaseURL: base, GPGKey: key})
	}
	return out
}

func (r *resolver) pipStep(p *recipe.PipStep) *PipStep {
	out := &PipStep{
		Python:       r.plan.Python,
		Packages:     r.checkedAll(p.Packages, "packages", recipe.CheckPackage),
		ExtraIndex:   r.checkedAll(p.ExtraIndex, "extraIndex", recipe.CheckIndexURL),
		TrustedHosts: r.checkedAll(p.TrustedHosts, "trustedHosts", recipe.CheckHost),
		Keep:         r.checkedAll(p.Keep, "keep", recipe.CheckDist),
		NoDeps:       p.NoDeps.Value,
		Netrc:        r.secretID(p.Netrc, "netrc"),
	}
	out.Index, _ = r.checked(p.Index, "index", recipe.CheckIndexURL)
	if p.Python.Value != "" {
		out.Python, _ = r.checked(p.Python, "python", recipe.CheckAbsPath)
	}
	if out.Python == "" {
		out.Python = "python3"
	}
	return out
}

func (r *resolver) gitStep(s *recipe.Step) *GitStep {
	g := s.Git
	out := &GitStep{Submodules: g.Submodules.Value, KeepGitDir: g.KeepGitDir.Value}
	out.URL, _ = r.checked(g.URL, "url", recipe.CheckGitURL)
	if out.Token = r.secretID(g.Token, "token"); out.Token != "" {
		if u, err := url.Parse(out.URL); err == nil && u.Scheme != "http" && u.Scheme != "https" {
			r.fail(g.Token.Pos, "token", "git sends a token over http(s) only; %q has another scheme", out.URL)
		}
	}
	out.Ref, _ = r.checked(g.Ref, "ref", recipe.CheckGitRef)
	out.Commit, _ = r.checked(g.Commit, "commit", recipe.CheckCommit)
	out.Dest = r.path(g.Dest, "dest")
	if out.Commit == "" {
		r.warn(s.Pos, "git step without a commit: the checkout follows %s and the build is not reproducible", refOrHead(out.Ref))
	}
	if out.KeepGitDir {
		r.warn(g.KeepGitDir.Pos, "keepGitDir keeps .git, whose index records file times: the layer is not reproducible")
	}
	return out
}

func refOrHead(ref string) string {
	if ref == "" {
		return "the default branch"
	}
	return ref
}

func (r *resolver) downloadStep(d *recipe.DownloadStep) *DownloadStep {
	out := &DownloadStep{Mode: "0644"}
	out.URL, _ = r.checked(d.URL, "url", recipe.CheckHTTPURL)
	out.SHA256, _ = r.checked(d.SHA256, "sha256", recipe.CheckSHA256)
	out.Dest = r.path(d.Dest, "dest")
	if d.Mode.Value != "" {
		out.Mode = r.mode(d.Mode)
	}
	return out
}

// path resolves an absolute path, which the frontend expands as a word
// (COPY, ADD and WORKDIR arguments): surrounding spaces would be trimmed
// or, at the end of a line, escaped into a line continuation.
func (r *resolver) path(v recipe.Str, field string) string {
	p, ok := r.checked(v, field, recipe.CheckAbsPath)
	if ok && strings.TrimSpace(p) != p {
		r.fail(v.Pos, field, "the path %q starts or ends with a space", p)
	}
	return p
}

func (r *resolver) mode(v recipe.Str) string {
	if !modeShape.MatchString(v.Value) {
		r.fail(v.Pos, "mode", "mode %q must be octal permission bits such as 0644 or 0755", v.Value)
	}
	return v.Value
}

func (r *resolver) warn(pos recipe.Pos, format string, a ...any) {
	r.plan.Warnings = append(r.plan.Warnings, Warning{Pos: r.rel(pos), Msg: fmt.Sprintf(format, a...)})
}

// oneLine folds a free-text value onto one line for a Dockerfile comment.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\t' || r < 0x20 || r == 0x7f
	}), " ")
}
