package bundle

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
	"github.com/ccf-ai-infra/macabox/internal/smoke/smokesh"
)

// About is what a bundle's ISSUE.md, PR.md and README say about the work,
// taken from the recipes' about: blocks and descriptions.
type About struct {
	Title       string
	Description string
	Background  string
	Expected    string
	Route       string
	Assignee    string
	Upstream    string
	Links       []Link
}

// Link is a titled URL.
type Link struct{ Title, URL string }

// AboutFrom gathers the about: metadata of a target: the target's own
// block first, then, field by field, the layers' (last first) and the base
// images' (nearest first), so a stack that says nothing still inherits
// what its application layer says.
func AboutFrom(set *recipe.Set, p *plan.Plan) About {
	var a About
	names := []string{p.Target}
	for i := len(p.Layers) - 1; i >= 0; i-- {
		names = append(names, p.Layers[i])
	}
	for i := len(p.Images) - 1; i >= 0; i-- {
		names = append(names, p.Images[i])
	}
	seen := map[string]bool{}
	fill := func(dst *string, v recipe.Str) {
		if *dst == "" {
			*dst = strings.TrimSpace(v.Value)
		}
	}
	for _, n := range names {
		if seen[n] || set == nil {
			continue
		}
		seen[n] = true
		d, ok := set.Lookup(n)
		if !ok || d.Header() == nil {
			continue
		}
		h := d.Header()
		fill(&a.Description, h.Description)
		if h.About == nil {
			continue
		}
		ab := h.About
		fill(&a.Title, ab.Title)
		fill(&a.Background, ab.Background)
		fill(&a.Expected, ab.Expected)
		fill(&a.Route, ab.Route)
		fill(&a.Assignee, ab.Assignee)
		fill(&a.Upstream, ab.Upstream)
		if len(a.Links) == 0 {
			for _, l := range ab.Links {
				a.Links = append(a.Links, Link{Title: l.Title.Value, URL: l.URL.Value})
			}
		}
	}
	return a
}

// docData is what the README, ISSUE and PR templates read.
type docData struct {
	E      *Expected
	A      About
	Title  string
	Image  string
	Chain  string
	Epoch  string // the epoch as a UTC time
	Steps  []docStep
	Tests  []docTest
	Env    []docEnv
	Files  []docFile
	Issues []issue
	Links  []Link
	// DeviceTests counts the tests that need a MACA device.
	DeviceTests  int
	BuildLayers  int
	ContextFiles int
	Release      string
}

type docStep struct {
	Step
	Summary string
}

type docTest struct {
	Name, Recipe, Origin, Kind, Command string
	Device                              bool
	// Unchecked says why smoke.sh cannot check it.
	Unchecked string
}

type docEnv struct{ Name, Value, Pos string }

type docFile struct{ Name, What, WhatZh string }

// issue is one known issue, in both languages.
type issue struct{ En, Zh string }

func newDocData(in *contents, checks []smokesh.Check) docData {
	e, p := in.Expected, in.Plan
	d := docData{
		E: e, A: in.About, Image: in.Image, Epoch: unixUTC(e.SourceDateEpoch).Format("2006-01-02 15:04:05 UTC"),
		Release: e.BuildKit.Release(), ContextFiles: len(e.Context),
	}
	d.Title = in.About.Title
	if d.Title == "" {
		d.Title = fmt.Sprintf("%s: a reproducible MACA %s image", e.Target, orDash(e.MACA.Version))
	}
	d.Chain = strings.Join(append(append(slices.Clone(p.Images), p.Layers...), chainTail(p)...), " → ")
	for _, s := range p.Steps {
		st, _ := e.step(s.Index)
		d.Steps = append(d.Steps, docStep{Step: st, Summary: stepSummary(s)})
	}
	for i, c := range in.Tests {
		t := docTest{Name: c.Name, Recipe: c.Recipe, Origin: c.Origin, Kind: string(smoke.KindOf(c)),
			Command: oneLine(smoke.Describe(c)), Device: smoke.NeedsDevice(c)}
		if i < len(checks) {
			t.Unchecked = checks[i].Unchecked
		}
		if t.Device {
			d.DeviceTests++
		}
		d.Tests = append(d.Tests, t)
	}
	for _, v := range envFile(p, in.ImageEnv) {
		d.Env = append(d.Env, docEnv{Name: v.name, Value: v.value, Pos: v.pos})
	}
	for _, l := range e.Layers {
		if !l.Base {
			d.BuildLayers++
		}
	}
	d.Links = links(in.About, p)
	d.Issues = knownIssues(in, checks)
	d.Files = bundleFiles(e)
	return d
}

func chainTail(p *plan.Plan) []string {
	if p.Kind == recipe.KindStack {
		return []string{p.Target}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}

// stepSummary is a step in a few words for the step tables.
func stepSummary(s plan.Step) string {
	switch s.Kind {
	case plan.KindRun:
		return oneLine(s.Run.Script)
	case plan.KindApt:
		return strings.Join(s.Apt.Packages, " ")
	case plan.KindDnf:
		return strings.Join(s.Dnf.Packages, " ")
	case plan.KindPip:
		w := strings.Join(s.Pip.Packages, " ")
		if len(s.Pip.Keep) > 0 {
			w += " (keep " + strings.Join(s.Pip.Keep, ", ") + ")"
		}
		return w
	case plan.KindGit:
		ref := s.Git.Commit
		if ref == "" {
			ref = s.Git.Ref
		}
		return s.Git.URL + " " + ref + " → " + s.Git.Dest
	case plan.KindCopy:
		from := strings.Join(s.Copy.Sources, " ")
		if s.Copy.FromStage != "" {
			from = s.Copy.FromStage + ":" + from
		}
		return from + " → " + s.Copy.Dest
	case plan.KindDownload:
		return s.Download.URL + " → " + s.Download.Dest
	case plan.KindEnv:
		return s.Env.Name + "=" + s.Env.Value
	case plan.KindWorkdir:
		return s.Workdir
	case plan.KindUser:
		return s.User
	}
	return ""
}

var urlPattern = regexp.MustCompile(`https?://[^\s)>\]"']+`)

// links are the reference links of ISSUE.md: the recipe's, its upstream,
// and every URL the steps' sources cite, without repeats.
func links(a About, p *plan.Plan) []Link {
	var out []Link
	seen := map[string]bool{}
	add := func(l Link) {
		if l.URL == "" || seen[l.URL] {
			return
		}
		seen[l.URL] = true
		out = append(out, l)
	}
	for _, l := range a.Links {
		add(l)
	}
	add(Link{Title: "upstream", URL: a.Upstream})
	for _, s := range p.Steps {
		for _, u := range urlPattern.FindAllString(s.Source, -1) {
			add(Link{Title: fmt.Sprintf("source of step %d (%s %s)", s.Index+1, s.Recipe, s.Kind), URL: strings.TrimRight(u, ".,;")})
		}
	}
	return out
}

func knownIssues(in *contents, checks []smokesh.Check) []issue {
	e := in.Expected
	var out []issue
	if e.Simulated {
		out = append(out, issue{
			En: e.SimulatedNote,
			Zh: "模拟的 MACA 基础镜像：它只是用来演示流程的替身，不是 MACA，也不能在沐曦 GPU 上运行任何东西；在它上面通过的测试只说明流程可用，不说明 MACA 可用。",
		})
	}
	for _, b := range e.Bases {
		if b.Source == SourceRegistry && b.Digest == "" {
			out = append(out, issue{
				En: fmt.Sprintf("The base image %s is not pinned by digest: a rebuild may start from another image and give another digest.", b.Ref),
				Zh: fmt.Sprintf("基础镜像 %s 没有按摘要固定：重新构建时可能拉取到另一个镜像，得到不同的摘要。", b.Ref),
			})
		}
		if b.Source == SourceOCILayout {
			out = append(out, issue{
				En: fmt.Sprintf("The base image %s (%s) was supplied from a local OCI layout: a reviewer needs that layout (build.sh --oci-layout DIR, macabox reproduce --base %s=oci-layout://DIR@%s).", b.Ref, b.Digest, b.Ref, b.Digest),
				Zh: fmt.Sprintf("基础镜像 %s（%s）来自本地 OCI 布局目录：复现者需要提供同一个布局（build.sh --oci-layout DIR，或 macabox reproduce --base %s=oci-layout://DIR@%s）。", b.Ref, b.Digest, b.Ref, b.Digest),
			})
		}
	}
	if n := countDevice(in.Tests); n > 0 {
		out = append(out, issue{
			En: fmt.Sprintf("%d test(s) need a MACA device; on a host without /dev/mxcd they are reported as skipped, not passed.", n),
			Zh: fmt.Sprintf("有 %d 个测试需要 MACA 设备；在没有 /dev/mxcd 的主机上它们被标为跳过（skipped），而不是通过。", n),
		})
	}
	for _, t := range checks {
		if t.Unchecked != "" {
			out = append(out, issue{
				En: fmt.Sprintf("smoke.sh cannot check %q (%s): %s; macabox reproduce checks it.", t.Name, t.Origin, t.Unchecked),
				Zh: fmt.Sprintf("smoke.sh 无法检查 %q（%s）：%s；macabox reproduce 会检查它。", t.Name, t.Origin, t.Unchecked),
			})
		}
	}
	for _, w := range in.Plan.Warnings {
		out = append(out, issue{En: w.String(), Zh: "计划警告：" + w.String()})
	}
	if !isRelease(e.BuildKit.Version) {
		out = append(out, issue{
			En: fmt.Sprintf("The builder reported BuildKit version %q (built without release information); macabox's client is BuildKit %s, the release the project pins its buildkitd to.", e.BuildKit.Version, e.BuildKit.Client),
			Zh: fmt.Sprintf("构建器报告的 BuildKit 版本为 %q（未带发布版本信息）；macabox 的客户端为 BuildKit %s，项目固定的 buildkitd 即此版本。", e.BuildKit.Version, e.BuildKit.Client),
		})
	}
	return out
}

func countDevice(tests []smoke.Test) int {
	n := 0
	for _, t := range tests {
		if smoke.NeedsDevice(t) {
			n++
		}
	}
	return n
}

// bundleFiles describes the files of a bundle, for the READMEs.
func bundleFiles(e *Expected) []docFile {
	out := []docFile{
		{DockerfileName, "the exact Dockerfile that was built", "构建所用的 Dockerfile（原样）"},
	}
	if e.Lock != nil {
		out = append(out, docFile{e.Lock.File, "the lock file the build was pinned with", "构建所用的锁文件"})
	}
	if len(e.Context) > 0 {
		out = append(out, docFile{"recipes/…", fmt.Sprintf("the build context: %d file(s) the Dockerfile copies", len(e.Context)), fmt.Sprintf("构建上下文：Dockerfile 复制的 %d 个文件", len(e.Context))})
	}
	out = append(out,
		docFile{"build.sh", "rebuilds the image with buildctl, docker buildx or docker build", "用 buildctl、docker buildx 或 docker build 重新构建镜像"},
		docFile{"run.sh", "starts a container with the MetaX devices passed through", "启动容器并透传沐曦设备"},
		docFile{"smoke.sh", "runs the smoke tests against a running container", "对运行中的容器执行冒烟测试"},
		docFile{"env", "the environment the recipes set (KEY=VALUE)", "配方设置的环境变量（KEY=VALUE）"},
		docFile{TestsName, "the smoke tests as data, for macabox reproduce", "冒烟测试（数据形式，供 macabox reproduce 使用）"},
		docFile{ExpectedName, "digests, BuildKit version, epoch, bases, steps, layers, installed packages", "摘要、BuildKit 版本、时间戳、基础镜像、步骤、镜像层、已安装软件包"},
		docFile{ConfigName, "the image config as built", "构建得到的镜像配置"},
		docFile{layersDir + "/*.files.tsv.gz", "per build layer: path, mode, owner, size, mtime, sha256", "每个构建层的文件清单：路径、权限、属主、大小、时间、sha256"},
		docFile{"README.md, README.zh-CN.md", "this document", "本文档"},
		docFile{"ISSUE.md", "the contest issue text", "赛题 issue 文本"},
		docFile{"PR.md", "the pull request text", "PR 描述"},
		docFile{SumsName, "sha256 of every other file (sha256sum -c SHA256SUMS)", "其余所有文件的 sha256（sha256sum -c SHA256SUMS）"},
	)
	return append(out, evidenceDocFiles...)
}
