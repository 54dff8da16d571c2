package recipe

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// regexp compiles a pattern once per validation run: stacks check the same
// layer requirements again and again.
func (v *validator) regexp(s string) (*regexp.Regexp, error) {
	if c, ok := v.regexps[s]; ok {
		return c.re, c.err
	}
	re, err := regexp.Compile(s)
	v.regexps[s] = compiled{re, err}
	return re, err
}

type compiled struct {
	re  *regexp.Regexp
	err error
}

// checkRegexp is the format check of a regular expression field.
func (v *validator) checkRegexp(s string) error {
	if _, err := v.regexp(s); err != nil {
		return regexpError(err)
	}
	return nil
}

func (v *validator) labels(m Map) {
	for _, kv := range m {
		v.literal(kv.Key, "labels", checkLabelKey)
		v.literal(kv.Value, kv.Key.Value, checkFreeValue)
	}
}

func (v *validator) args(m Map) {
	for _, kv := range m {
		v.literal(kv.Key, "args", checkEnvKey)
		if slices.Contains(BuiltinArgs(), kv.Key.Value) {
			v.errs.add(kv.Key.Pos, "args", "%s is set by macabox and cannot be declared", quote(kv.Key.Value))
		}
		v.literal(kv.Value, kv.Key.Value, checkFreeValue)
	}
}

func (v *validator) env(m Map, field string) {
	for _, kv := range m {
		v.literal(kv.Key, field, checkEnvKey)
		v.literal(kv.Value, kv.Key.Value, checkFreeValue)
	}
}

func stageNames(stages []Stage) []string {
	var out []string
	for _, s := range stages {
		out = append(out, s.Name.Value)
	}
	return out
}

// stages checks the helper stages of a recipe. A stage builds on the recipe's
// base, an earlier stage, or an image; it may copy only from earlier stages,
// which keeps the stage graph acyclic.
func (v *validator) stages(d *Document, stages []Stage) {
	all := stageNames(stages)
	var earlier []string
	lines := map[string]int{}
	for _, st := range stages {
		v.literal(st.Name, "name", checkName)
		if line, dup := lines[st.Name.Value]; dup && !st.Name.Pos.IsZero() {
			v.errs.add(st.Name.Pos, "name", "stage %s is already defined on line %d", quote(st.Name.Value), line)
		}
		v.stageFrom(st.From, earlier, all)
		v.steps(d, st.Steps, earlier)
		if !st.Name.Pos.IsZero() {
			lines[st.Name.Value] = st.Name.Pos.Line
			earlier = append(earlier, st.Name.Value)
		}
	}
}

func (v *validator) stageFrom(from Str, earlier, all []string) {
	switch {
	case from.Pos.IsZero(), from.Value == "base", slices.Contains(earlier, from.Value):
		return
	case slices.Contains(all, from.Value):
		v.errs.add(from.Pos, "from", "stage %s is defined later; a stage builds on 'base', an earlier stage or an image", quote(from.Value))
		return
	}
	if d, ok := v.byName[from.Value]; ok {
		if d.Image == nil {
			v.errs.add(from.Pos, "from", "%s is %s; a stage builds on 'base', an earlier stage or an image", quote(from.Value), aKind(d.Kind()))
		}
		return
	}
	if err := checkImageRef(placeholders(from.Value)); err != nil {
		v.errs.add(from.Pos, "from", "%v; a stage builds on 'base', an earlier stage (%s) or an image", err, strings.Join(earlier, ", "))
	}
}

// placeholders fills every reference with a placeholder, for shape checks:
// a digit, which fits wherever a letter does in the shapes checked, and
// also where only a number does (http://host:${PORT}/).
func placeholders(s string) string {
	out, err := Expand(s, func(string) (string, bool) { return "1", true })
	if err != nil {
		return s
	}
	return out
}

// steps checks build steps; stages lists the stages a copy may take files
// from.
func (v *validator) steps(d *Document, steps []Step, stages []string) {
	for _, st := range steps {
		v.literal(st.Source, "source", checkOneLine)
		switch {
		case st.Run != nil:
			v.runStep(st.Run)
		case st.Apt != nil:
			v.packages(st.Pos, "apt", st.Apt.Packages)
		case st.Dnf != nil:
			v.packages(st.Pos, "dnf", st.Dnf.Packages)
			for _, r := range st.Dnf.Repos {
				v.literal(r.Name, "name", checkID)
				v.expanded(r.BaseURL, "baseurl", checkHTTPURL)
				v.expanded(r.GPGKey, "gpgkey", checkHTTPURL)
			}
		case st.Pip != nil:
			v.pipStep(st.Pos, st.Pip)
		case st.Git != nil:
			v.gitStep(st.Git)
		case st.Copy != nil:
			v.copyStep(d, st.Copy, stages)
		case st.Download != nil:
			dl := st.Download
			v.expanded(dl.URL, "url", checkHTTPURL)
			v.exact(dl.SHA256, "sha256", checkSHA256)
			v.expanded(dl.Dest, "dest", checkAbsPath)
			v.literal(dl.Mode, "mode", checkMode)
		case st.Env != nil:
			v.env(st.Env, "env")
		case st.Workdir != nil:
			v.expanded(*st.Workdir, "workdir", checkAbsPath)
		case st.User != nil:
			v.expanded(*st.User, "user", checkOwner)
		}
	}
}

func (v *validator) runStep(r *RunStep) {
	if !r.Script.Pos.IsZero() && strings.TrimSpace(r.Script.Value) == "" {
		v.errs.add(r.Script.Pos, "run", "empty script")
	}
	for _, s := range r.Secrets {
		v.literal(s, "secrets", checkID)
	}
	for _, c := range r.Cache {
		v.literal(c, "cache", checkAbsPath)
	}
}

func (v *validator) packages(pos Pos, field string, pkgs []Str) {
	if len(pkgs) == 0 {
		v.errs.add(pos, field, "no packages listed")
	}
	for _, p := range pkgs {
		v.expanded(p, field, checkPackage)
	}
}

func (v *validator) pipStep(pos Pos, p *PipStep) {
	v.packages(pos, "pip", p.Packages)
	v.expanded(p.Python, "python", checkAbsPath)
	v.expanded(p.Index, "index", checkIndexURL)
	for _, u := range p.ExtraIndex {
		v.expanded(u, "extraIndex", checkIndexURL)
	}
	for _, h := range p.TrustedHosts {
		v.expanded(h, "trustedHosts", checkHost)
	}
	for _, k := range p.Keep {
		v.expanded(k, "keep", checkDist)
	}
	v.literal(p.Netrc, "netrc", checkID)
}

var gitRefRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./+-]*$`)

func checkGitRef(s string) error {
	if !gitRefRE.MatchString(s) || strings.Contains(s, "..") {
		return fmt.Errorf("%s is not a branch or tag name", quote(s))
	}
	return nil
}

func (v *validator) gitStep(g *GitStep) {
	v.expanded(g.URL, "url", checkGitURL)
	v.literal(g.Token, "token", checkID)
	if !g.Token.Pos.IsZero() && !strings.HasPrefix(g.URL.Value, "${") && !strings.HasPrefix(g.URL.Value, "http") {
		v.errs.add(g.Token.Pos, "token", "git sends a token over http(s) only; %s has another scheme", quote(g.URL.Value))
	}
	v.expanded(g.Ref, "ref", checkGitRef)
	v.exact(g.Commit, "commit", checkCommit)
	v.expanded(g.Dest, "dest", checkAbsPath)
}

func (v *validator) copyStep(d *Document, c *CopyStep, stages []string) {
	fromStage := !c.Stage.Pos.IsZero()
	if fromStage && !slices.Contains(stages, c.Stage.Value) {
		v.errs.add(c.Stage.Pos, "stage", "unknown stage %s; a copy takes files from an earlier stage of the same recipe%s", quote(c.Stage.Value), didYouMean(c.Stage.Value, stages))
	}
	for _, src := range c.Src {
		if fromStage {
			v.literal(src, "src", checkAbsPath)
		} else {
			v.literal(src, "src", func(s string) error {
				_, err := d.CopySource(s)
				return err
			})
		}
	}
	v.expanded(c.Dest, "dest", checkAbsPath)
	v.literal(c.Mode, "mode", checkMode)
	v.expanded(c.Owner, "owner", checkOwner)
}
