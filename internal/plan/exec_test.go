package plan

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// hostile are values that mean something to sh, to the Dockerfile parser or
// to the frontend's word expansion. Each must reach its program as written.
var hostile = []string{
	`it's`, `"dq"`, `back\slash`, `ends\`, `$HOME`, `${PATH}`, `$(id)`, "`id`",
	`a;b`, `c&&d`, `e|f`, `g>h`, `<<EOF`, `*`, `?`, `ünïcödé 中文 ☃`, "tab\there",
	`#hash`, `~tilde`, `!bang`, `%s%n`, `x  y`, `'`, `"`, `\`, `$`, `{}`,
}

// hostileWords are the hostile values a package name may be: those without
// white space, which the recipe format refuses in package names.
var hostileWords = func() []string {
	var out []string
	for _, h := range hostile {
		if recipe.CheckPackage(h) == nil {
			out = append(out, h)
		}
	}
	return out
}()

// hostileArg is the value of a build argument that run scripts read.
const hostileArg = `it's "quoted" \ $HOME ${PATH} $(id) ; && ü`

// scripts are run steps; each calls the argv stub. Some go in shell form,
// some in exec form; either way the shell must see exactly this text.
var scripts = []string{
	`argv "$HOSTILE" '$HOME' "back\\slash" 'tab	tab'`,
	`argv 'it'\''s' "a;b" 'c&&d'`,
	"argv one\nargv 'two words' \"$HOSTILE\"\n",
	`argv trailing \`,
	`[ -n "$HOSTILE" ] && argv bracket`,
	`argv '<<EOF'`,
	" argv padded ",
	"argv a & wait",
	`argv 中文 ☃ "$HOSTILE"`,
	`argv "${HOSTILE#it}" $((1+2))`,
}

const testCommit = "0123456789abcdef0123456789abcdef01234567"

type hostileCase struct {
	root, stubs, wheels string
	plan                *Plan
	rendered            *Rendered
	conv                converted
}

func newHostileCase(t *testing.T) *hostileCase {
	t.Helper()
	c := &hostileCase{root: t.TempDir(), stubs: stubDir(t)}
	c.wheels = filepath.Join(t.TempDir(), "w'h$x")
	for _, f := range []string{"b.whl", "a.whl"} {
		writeFile(t, filepath.Join(c.wheels, f), "wheel")
	}
	writeFile(t, filepath.Join(c.root, "recipes", "hostile", "files", `it's a "file".txt`), "content")

	m := &mem{file: filepath.Join(c.root, "recipes", "hostile", "hostile.yaml")}
	litAll := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = lit(v)
		}
		return out
	}
	layer := &recipe.Layer{
		Header: m.header(recipe.KindLayer, "hostile"),
		Args:   m.kv("HOSTILE", lit(hostileArg)),
		Env: m.kv(
			"QUOTES", `it's "double" and 'single'`,
			"BACKSLASH", `C:\path\to\ end\`,
			"DOLLARS", `$$HOME stays, $${PATH} stays, ${PATH} expands`,
			"ARGVAL", "${HOSTILE}",
			"UNICODE", "中文 ☃ `id`",
		),
	}
	step := func(s recipe.Step) recipe.Step { s.Pos = m.pos(); return s }
	layer.Steps = []recipe.Step{
		step(recipe.Step{Apt: &recipe.AptStep{Packages: m.list(litAll(hostileWords)...)}}),
		step(recipe.Step{Dnf: &recipe.DnfStep{
			Packages: m.list(litAll(hostileWords)...),
			Repos: []recipe.Repo{{
				Name: m.s("my-repo"), BaseURL: m.s("https://x.example/$$basearch/it's/"), GPGKey: m.s("https://x.example/key"),
			}},
		}}),
		step(recipe.Step{Pip: &recipe.PipStep{
			Python:       m.s(filepath.Join(c.stubs, "python3")),
			Packages:     m.list(append(litAll(hostileWords), lit(c.wheels)+"/*.whl", "/no/such-dir/*.whl")...),
			Index:        m.s(lit("https://idx.example/p'a$s/simple")),
			ExtraIndex:   m.list("https://extra.example/simple?a=1&b=2"),
			TrustedHosts: m.list("extra.example"),
			Keep:         m.list("torch", "torchvision"),
			NoDeps:       recipe.Bool{Value: true, Pos: m.pos()},
			Netrc:        m.s("netrc"),
		}}),
		step(recipe.Step{Git: &recipe.GitStep{
			URL: m.s("https://example.org:8443/it's$$repo.git"), Token: m.s("gittoken"), Ref: m.s("feature/x+y"), Commit: m.s(testCommit),
			Dest: m.s(lit(`/opt/it's $dir`)), Submodules: recipe.Bool{Value: true, Pos: m.pos()},
		}}),
		step(recipe.Step{Git: &recipe.GitStep{URL: m.s("https://example.org/plain.git"), Dest: m.s("/opt/plain")}}),
	}
	for _, s := range scripts {
		layer.Steps = append(layer.Steps, step(recipe.Step{Run: &recipe.RunStep{Script: m.s(s)}}))
	}
	wd := lit(`/opt/it's here/$dir "q"`)
	layer.Steps = append(layer.Steps,
		step(recipe.Step{Workdir: ptr(m.s(wd))}),
		step(recipe.Step{Run: &recipe.RunStep{Script: m.s("argv in-workdir")}}),
		step(recipe.Step{Copy: &recipe.CopyStep{Src: m.list(`files/it's a "file".txt`), Dest: m.s(lit(`/opt/c $x/it's "q".txt`)), Mode: m.s("0640")}}),
		step(recipe.Step{Download: &recipe.DownloadStep{
			URL: m.s(lit("https://dl.example/a'b/$x?q=1&r=2")), SHA256: m.s(strings.Repeat("ab", 32)), Dest: m.s(lit(`/opt/dl/it's $file`)),
		}}),
		step(recipe.Step{User: ptr(m.s("1000:1000"))}),
	)
	set := memSet(c.root, layer, func(img *recipe.Image) {
		im := &mem{file: filepath.Join(c.root, "images", "base.yaml"), line: 100}
		img.Labels = im.kv("org.example.quote", `it's "q" \ $$x ${HOSTILE_NOT_EXPANDED_HERE}`)
		img.Labels[0].Value.Value = lit(`it's "q" \ $x ${not expanded}`)
	})
	p, err := New(set, "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	c.plan, c.rendered = p, r
	c.conv = convert(t, r.Dockerfile)
	return c
}

func ptr[T any](v T) *T { return &v }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run executes argv as BuildKit would inside the container, but here, with
// the stubs first on PATH, and returns what the stubs saw.
func (c *hostileCase) run(t *testing.T, argv, env []string) ([]stubRecord, string) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "argv.log")
	var clean []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PATH=") {
			clean = append(clean, kv)
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(clean, "PATH="+c.stubs+":/usr/bin:/bin", stubLogEnv+"="+log, "TMPDIR="+t.TempDir())
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running %q: %v\n%s", argv, err, out)
	}
	return readStubLog(t, log), string(out)
}

// stepOf is the plan step BuildKit's exec op comes from, by the line map.
func (c *hostileCase) stepOf(t *testing.T, e execOp) *Step {
	t.Helper()
	o, ok := c.rendered.Origin(e.line)
	if !ok || o.Step < 0 {
		t.Fatalf("exec op at line %d maps to no step", e.line)
	}
	return &c.plan.Steps[o.Step]
}

func TestHostileValuesReachProgramsExactly(t *testing.T) {
	c := newHostileCase(t)
	if ws := unexpectedWarnings(c.conv.warnings); len(ws) > 0 {
		t.Errorf("frontend warnings: %v", ws)
	}
	seen := map[StepKind]int{}
	for _, e := range c.conv.execs {
		s := c.stepOf(t, e)
		seen[s.Kind]++
		if v, _ := envOf(e.meta.Env, "HOSTILE"); v != hostileArg {
			t.Errorf("%s step: build arg HOSTILE is %q in the RUN environment, want %q", s.Kind, v, hostileArg)
		}
		recs, _ := c.run(t, e.meta.Args, e.meta.Env)
		switch s.Kind {
		case KindApt:
			checkApt(t, recs)
		case KindDnf:
			checkDnf(t, recs)
		case KindPip:
			checkPip(t, c, recs, e)
		case KindGit:
			checkGit(t, s.Git, recs)
		case KindRun:
			checkRun(t, c, s, e, recs)
		}
	}
	want := map[StepKind]int{KindApt: 1, KindDnf: 1, KindPip: 1, KindGit: 2, KindRun: len(scripts) + 1}
	for k, n := range want {
		if seen[k] != n {
			t.Errorf("BuildKit runs %d %s steps, want %d", seen[k], k, n)
		}
	}
}

func findRecord(recs []stubRecord, name string, prefix ...string) (stubRecord, bool) {
	for _, r := range recs {
		if r.Name == name && len(r.Args) >= len(prefix) && slices.Equal(r.Args[:len(prefix)], prefix) {
			return r, true
		}
	}
	return stubRecord{}, false
}

func checkApt(t *testing.T, recs []stubRecord) {
	r, ok := findRecord(recs, "apt-get", "install")
	if !ok {
		t.Fatalf("no apt-get install in %+v", recs)
	}
	if got := r.Args[len(r.Args)-len(hostileWords):]; !slices.Equal(got, hostileWords) {
		t.Errorf("apt-get install got packages\n%q\nwant\n%q", got, hostileWords)
	}
	if _, ok := findRecord(recs, "apt-get", "update"); !ok {
		t.Error("no apt-get update")
	}
	if r, ok := findRecord(recs, "rm", "-rf"); !ok || !slices.Contains(r.Args, "/var/log/dpkg.log") {
		t.Errorf("volatile files not removed: %+v", recs)
	}
}

func checkDnf(t *testing.T, recs []stubRecord) {
	tee, ok := findRecord(recs, "tee")
	if !ok {
		t.Fatalf("no repository written: %+v", recs)
	}
	wantRepo := "[my-repo]\nname=my-repo\nbaseurl=https://x.example/$basearch/it's/\nenabled=1\ngpgcheck=1\ngpgkey=https://x.example/key\n"
	if tee.Stdin != wantRepo || !slices.Equal(tee.Args, []string{"/etc/yum.repos.d/my-repo.repo"}) {
		t.Errorf("repository file %q written to %q, want %q", tee.Stdin, tee.Args, wantRepo)
	}
	r, ok := findRecord(recs, "dnf", "install")
	if !ok {
		t.Fatalf("no dnf install in %+v", recs)
	}
	if got := r.Args[len(r.Args)-len(hostileWords):]; !slices.Equal(got, hostileWords) {
		t.Errorf("dnf install got packages\n%q\nwant\n%q", got, hostileWords)
	}
	if _, ok := findRecord(recs, "dnf", "clean", "all"); !ok {
		t.Error("no dnf clean all")
	}
}

func checkPip(t *testing.T, c *hostileCase, recs []stubRecord, e execOp) {
	keep, ok := findRecord(recs, "python3", "-c")
	if !ok || keep.Args[1] != keepScript || !slices.Equal(keep.Args[2:], []string{"torch", "torchvision"}) {
		t.Errorf("keep helper called as %q", keep.Args)
	}
	r, ok := findRecord(recs, "python3", "-m", "pip", "install")
	if !ok {
		t.Fatalf("no pip install in %+v", recs)
	}
	if r.Constraints != "torch==1.0+stub\ntorchvision==1.0+stub\n" {
		t.Errorf("pip constraints %q", r.Constraints)
	}
	wantPkgs := append(slices.Clone(hostileWords),
		filepath.Join(c.wheels, "a.whl"), filepath.Join(c.wheels, "b.whl"), "/no/such-dir/*.whl")
	args := r.Args[3:]
	if got := args[len(args)-len(wantPkgs):]; !slices.Equal(got, wantPkgs) {
		t.Errorf("pip install got packages\n%q\nwant\n%q", got, wantPkgs)
	}
	opts := args[:len(args)-len(wantPkgs)]
	wantOpts := []string{"--constraint", "", "--no-deps", "--index-url", "https://idx.example/p'a$s/simple",
		"--extra-index-url", "https://extra.example/simple?a=1&b=2", "--trusted-host", "extra.example"}
	if len(opts) == len(wantOpts) {
		opts[1] = "" // a temporary file
	}
	if !slices.Equal(opts, wantOpts) {
		t.Errorf("pip options %q, want %q", opts, wantOpts)
	}
	if !hasMount(e, pb.MountType_SECRET, "/run/secrets/netrc") || !hasMount(e, pb.MountType_CACHE, "/root/.cache/pip") {
		t.Errorf("pip mounts: %v", e.mounts)
	}
}

func hasMount(e execOp, typ pb.MountType, dest string) bool {
	for _, m := range e.mounts {
		if m.MountType == typ && m.Dest == dest {
			return true
		}
	}
	return false
}

func checkGit(t *testing.T, g *GitStep, recs []stubRecord) {
	// With a token, the commands that reach the server carry a credential
	// helper for the URL's host only, after one that drops any other.
	fetch := []string{"-C", g.Dest}
	if g.Token != "" {
		scope, _ := credentialScope(g.URL)
		fetch = append(fetch, "-c", "credential.helper=", "-c", "credential."+scope+".helper="+gitCredentialHelper(g.Token))
	}
	var want [][]string
	want = append(want, []string{"init", "-q", g.Dest}, []string{"-C", g.Dest, "remote", "add", "origin", g.URL})
	if g.Commit != "" {
		want = append(want,
			append(slices.Clone(fetch), "fetch", "-q", "--depth", "1", "origin", g.Commit),
			[]string{"-C", g.Dest, "-c", "advice.detachedHead=false", "checkout", "-q", g.Commit})
	} else {
		want = append(want,
			append(slices.Clone(fetch), "fetch", "-q", "--depth", "1", "origin", "HEAD"),
			[]string{"-C", g.Dest, "-c", "advice.detachedHead=false", "checkout", "-q", "FETCH_HEAD"})
	}
	if g.Submodules {
		want = append(want, append(slices.Clone(fetch), "submodule", "update", "-q", "--init", "--recursive"))
	}
	var got [][]string
	for _, r := range recs {
		if r.Name == "git" {
			got = append(got, r.Args)
		}
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("git calls\n%q\nwant\n%q", got, want)
	}
	if r, ok := findRecord(recs, "find", g.Dest); !ok || !slices.Contains(r.Args, ".git") {
		t.Errorf(".git not removed: %+v", recs)
	}
	if r, ok := findRecord(recs, "chmod", "-R"); !ok || r.Args[len(r.Args)-1] != g.Dest {
		t.Errorf("modes not normalized: %+v", recs)
	}
}

// checkRun checks that the shell receives the recipe's script byte for byte,
// and that it behaves as `sh -ec script` would.
func checkRun(t *testing.T, c *hostileCase, s *Step, e execOp, recs []stubRecord) {
	script := s.Run.Script
	argv := e.meta.Args
	switch {
	case slices.Equal(argv, []string{"/bin/sh", "-c", script}):
		if !shellFormOK(script) {
			t.Errorf("script %q went in shell form", script)
		}
	case slices.Equal(argv, []string{"/bin/sh", "-ec", script}), slices.Equal(argv, []string{"/bin/sh", "-ec", "--", script}):
	default:
		t.Errorf("script %q reaches BuildKit as %q", script, argv)
	}
	want, _ := c.run(t, []string{"/bin/sh", "-ec", "--", script}, e.meta.Env)
	if len(want) == 0 || !slices.EqualFunc(recs, want, func(a, b stubRecord) bool { return slices.Equal(a.Args, b.Args) }) {
		t.Errorf("script %q called\n%+v\nwant\n%+v", script, recs, want)
	}
	if script == "argv in-workdir" && e.meta.Cwd != `/opt/it's here/$dir "q"` {
		t.Errorf("RUN after WORKDIR runs in %q", e.meta.Cwd)
	}
}

func TestHostileValuesInImageConfig(t *testing.T) {
	c := newHostileCase(t)
	cfg := c.conv.image.Config
	basePath, _ := envOf(baseEnv, "PATH")
	wantEnv := map[string]string{
		"QUOTES":    `it's "double" and 'single'`,
		"BACKSLASH": `C:\path\to\ end\`,
		"DOLLARS":   `$HOME stays, ${PATH} stays, ` + basePath + ` expands`,
		"ARGVAL":    hostileArg,
		"UNICODE":   "中文 ☃ `id`",
	}
	for k, v := range wantEnv {
		if got, _ := envOf(cfg.Env, k); got != v {
			t.Errorf("ENV %s is %q, want %q", k, got, v)
		}
	}
	if got := cfg.Labels["org.example.quote"]; got != `it's "q" \ $x ${not expanded}` {
		t.Errorf("label is %q", got)
	}
	for _, l := range c.plan.Labels {
		if cfg.Labels[l.Key] != l.Value {
			t.Errorf("label %s is %q, want %q", l.Key, cfg.Labels[l.Key], l.Value)
		}
	}
	if cfg.WorkingDir != `/opt/it's here/$dir "q"` {
		t.Errorf("WORKDIR is %q", cfg.WorkingDir)
	}
	if cfg.User != "1000:1000" {
		t.Errorf("USER is %q", cfg.User)
	}
}

func TestHostilePathsInFileOps(t *testing.T) {
	c := newHostileCase(t)
	var copies []*pb.FileActionCopy
	for _, f := range c.conv.files {
		for _, a := range f.op.Actions {
			if cp := a.GetCopy(); cp != nil {
				copies = append(copies, cp)
			}
		}
	}
	found := map[string]*pb.FileActionCopy{}
	for _, cp := range copies {
		found[cp.Dest] = cp
	}
	ctxCopy, ok := found[`/opt/c $x/it's "q".txt`]
	if !ok {
		t.Fatalf("no COPY to the hostile destination among %v", copies)
	}
	if !strings.HasSuffix(ctxCopy.Src, `recipes/hostile/files/it's a "file".txt`) || ctxCopy.Mode != 0o640 {
		t.Errorf("COPY source %q mode %o", ctxCopy.Src, ctxCopy.Mode)
	}
	if _, ok := found[`/opt/dl/it's $file`]; !ok {
		t.Errorf("no ADD to the hostile destination among %v", copies)
	}
	var http *pb.SourceOp
	for _, s := range c.conv.sources {
		if strings.HasPrefix(s.Identifier, "https://") {
			http = s
		}
	}
	if http == nil || http.Identifier != "https://dl.example/a'b/$x?q=1&r=2" || http.Attrs["http.checksum"] != "sha256:"+strings.Repeat("ab", 32) {
		t.Errorf("download source %+v", http)
	}
}
