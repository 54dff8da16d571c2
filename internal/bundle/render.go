package bundle

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/imageref"
	"github.com/ccf-ai-infra/macabox/internal/plan"
	"github.com/ccf-ai-infra/macabox/internal/shell"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
	"github.com/ccf-ai-infra/macabox/internal/smoke/smokesh"
)

//go:embed templates/*.tmpl
var templates embed.FS

// simulatedNote is what every document and script of a bundle built on a
// simulated base says.
const simulatedNote = "This bundle was built on a SIMULATED MACA base: a stand-in that exercises the pipeline. " +
	"It is not MetaX MACA, contains no MetaX software and runs nothing on a MetaX GPU; " +
	"tests passing on it show that the pipeline works, not that MACA does."

// contents is everything a bundle is made of, gathered before any file is
// written. files() is a pure function of it, which the golden tests use.
type contents struct {
	Plan     *plan.Plan
	Rendered *plan.Rendered
	About    About
	Expected *Expected
	Tests    []smoke.Test
	// Context holds the build context: name inside the context → content.
	Context map[string][]byte
	// Listings holds each build layer's listing under its bundle name.
	Listings  map[string][]byte
	ConfigRaw []byte
	// ImageEnv is the built image's environment (KEY=VALUE), whose values
	// are the ones the recipes' references resolved to.
	ImageEnv []string
	// Image is the name run.sh and build.sh give the image.
	Image string
	// Lock is the lock file's content for a locked build.
	Lock []byte
	// Warnings are what gathering found a reviewer will hit.
	Warnings []string
	// Evidence is what the bundle carries besides the build (evidence.go).
	Evidence Evidence
}

// files renders the bundle. The warnings name what smoke.sh cannot check.
func (in *contents) files() (Files, []string, error) {
	checks := smokesh.Checks(in.Tests)
	docs := newDocData(in, checks)
	sd, err := newScriptData(in)
	if err != nil {
		return nil, nil, err
	}
	notice := ""
	if in.Expected.Simulated {
		notice = "SIMULATED MACA: " + simulatedNote
	}
	testsJSON, err := encodeTests(in.Plan.Target, notice, in.Tests)
	if err != nil {
		return nil, nil, err
	}
	expected, err := escape.MarshalJSON(in.Expected)
	if err != nil {
		return nil, nil, err
	}
	out := Files{
		{Name: DockerfileName, Data: in.Rendered.Dockerfile},
		{Name: TestsName, Data: testsJSON},
		{Name: ExpectedName, Data: expected},
		{Name: ConfigName, Data: in.ConfigRaw},
		{Name: "env", Data: envFileText(in)},
	}
	for _, c := range in.Expected.Context {
		out = append(out, File{Name: c.Name, Exec: c.Exec(), Data: in.Context[c.Name]})
	}
	if in.Expected.Lock != nil {
		out = append(out, File{Name: LockName, Data: in.Lock})
	}
	for name, data := range in.Listings {
		out = append(out, File{Name: name, Data: data})
	}
	for _, t := range []struct {
		name string
		exec bool
		data any
	}{
		{"build.sh", true, sd}, {"run.sh", true, sd},
		{"README.md", false, docs}, {"README.zh-CN.md", false, docs},
		{"ISSUE.md", false, docs}, {"PR.md", false, docs},
	} {
		data, err := render(t.name, t.data)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, File{Name: t.name, Exec: t.exec, Data: data})
	}
	smokeSh, err := smokesh.Render(smokesh.Script{Target: in.Plan.Target, SimulatedNote: simulatedNoteOf(in.Expected), Tests: in.Tests})
	if err != nil {
		return nil, nil, err
	}
	out = append(out, File{Name: "smoke.sh", Exec: true, Data: smokeSh})
	evidenceFiles, err := in.evidenceFiles()
	if err != nil {
		return nil, nil, err
	}
	return append(out, evidenceFiles...), smokesh.Unchecked(checks), nil
}

// render executes templates/<name>.tmpl. In a Markdown template every
// value is escaped for where it goes (see escapeValues), whatever it holds.
func render(name string, data any) ([]byte, error) {
	t, err := template.New(name+".tmpl").Funcs(template.FuncMap{
		"sq": shell.Quote, "sqAll": shell.QuoteAll, "join": strings.Join,
		"stepNo": stepNo, "orDash": orDash, "assignee": assigneeText, "benchRows": benchRows,
		"comment": shell.Comment, "icon": smoke.Icon, "sub": func(a, b int) int { return a - b },
		"seconds": func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() },
		// The Markdown escapers, one per place a value can go.
		"md":    func(v any) string { return escape.Markdown(fmt.Sprint(v)) },
		"code":  func(v any) string { return escape.MarkdownCode(fmt.Sprint(v)) },
		"fence": func(v any) string { return escape.MarkdownBlock(fmt.Sprint(v)) },
		"html":  func(v any) string { return escape.HTML(fmt.Sprint(v)) },
		"url":   func(v any) string { return escape.URL(fmt.Sprint(v)) },
		"sh":    func(v any) string { return escape.Terminal(shell.Word(fmt.Sprint(v))) },
	}).ParseFS(templates, "templates/"+name+".tmpl")
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	if strings.HasSuffix(name, ".md") {
		for _, tt := range t.Templates() {
			escapeValues(tt.Tree, tt.Tree.Root)
		}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// scriptData is what build.sh, run.sh and smoke.sh are made from.
type scriptData struct {
	E             *Expected
	Release       string
	Image         string
	OCIBases      []Base
	RegistryBases []Base
	ContextFiles  []ContextFile
	// ContextDirs are the context's directories, deepest first.
	ContextDirs []string
	Stamp       string
	KeepAlive   string
	// RunFixed are the maca profile's docker run flags that do not depend
	// on the host's nodes; Memlock is the default memlock limit.
	RunFixed   []string
	Memlock    int64
	Privileged bool
	// Header is the first line of the Dockerfile build.sh agrees to build.
	Header string
}

func newScriptData(in *contents) (scriptData, error) {
	e := in.Expected
	d := scriptData{
		E: e, Release: e.BuildKit.Release(), Image: in.Image, ContextFiles: e.Context,
		Stamp: touchStamp(e.SourceDateEpoch), KeepAlive: smoke.KeepAliveScript, Privileged: in.Plan.Runtime.Privileged,
		Header: dockerfileHeader,
	}
	for _, b := range e.Bases {
		if b.Source == SourceOCILayout {
			d.OCIBases = append(d.OCIBases, b)
		} else {
			d.RegistryBases = append(d.RegistryBases, b)
		}
	}
	dirs := map[string]bool{}
	for _, c := range e.Context {
		for p := path.Dir(c.Name); p != "."; p = path.Dir(p) {
			dirs[p] = true
		}
	}
	for p := range dirs {
		d.ContextDirs = append(d.ContextDirs, p)
	}
	slices.SortFunc(d.ContextDirs, func(a, b string) int {
		if c := strings.Count(b, "/") - strings.Count(a, "/"); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	fixed, memlock, err := macaRunFlags(in.Plan)
	if err != nil {
		return d, err
	}
	d.RunFixed, d.Memlock = fixed, memlock
	return d, nil
}

// macaRunFlags are the flags the maca device profile gives every container
// of this image, whatever the host's nodes: resolved through the profile
// itself on a host that has only /dev/mxcd, so run.sh and `macabox run`
// cannot drift apart. The node flags are left to run.sh, which finds the
// nodes where it runs; memlock is returned apart so run.sh can override it.
func macaRunFlags(p *plan.Plan) ([]string, int64, error) {
	opts := device.Options{Privileged: p.Runtime.Privileged, AllowPrivileged: true}
	if p.Runtime.ShmSize != "" {
		shm, err := device.ParseSize(p.Runtime.ShmSize)
		if err != nil {
			return nil, 0, fmt.Errorf("runtime.shmSize %q: %w", p.Runtime.ShmSize, err)
		}
		opts.ShmSize = shm
	}
	host := &device.Host{Control: []device.Node{{HostPath: "/dev/mxcd", ContainerPath: "/dev/mxcd", Type: "c"}}}
	spec, err := device.ProfileMACA.Resolve(host, opts)
	if err != nil {
		return nil, 0, err
	}
	memlock := device.DefaultMemlock
	for _, u := range spec.Ulimits {
		if u.Name == "memlock" {
			memlock = u.Soft
		}
	}
	var fixed []string
	for _, a := range spec.DockerRunArgs() {
		switch {
		case strings.HasPrefix(a, "--device="), strings.HasPrefix(a, "--group-add="),
			strings.HasPrefix(a, "--env="), strings.HasPrefix(a, "--ulimit=memlock="), a == "--privileged":
			continue
		}
		fixed = append(fixed, a)
	}
	return fixed, memlock, nil
}

// envVar is one line of the env file.
type envVar struct{ name, value, pos string }

// envFile lists the variables the recipes set, in the order they are
// first set, with the value the built image ended up with: a recipe writes
// PATH=${MACA_PATH}/bin:${PATH}, the image holds the expansion.
func envFile(p *plan.Plan, imageEnv []string) []envVar {
	final := map[string]string{}
	for _, kv := range imageEnv {
		if k, v, ok := strings.Cut(kv, "="); ok {
			final[k] = v
		}
	}
	var out []envVar
	index := map[string]int{}
	for _, v := range p.Env {
		value, ok := final[v.Name]
		if !ok {
			value = v.Value
		}
		ev := envVar{name: v.Name, value: value, pos: v.Pos.String()}
		if i, seen := index[v.Name]; seen {
			out[i] = ev
			continue
		}
		index[v.Name] = len(out)
		out = append(out, ev)
	}
	return out
}

func envFileText(in *contents) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Environment of the %s image as its recipes set it: KEY=VALUE lines for docker run --env-file.\n", in.Expected.Target)
	if in.Expected.Simulated {
		b.WriteString(shell.Comment("SIMULATED MACA: "+simulatedNote) + "\n")
	}
	for _, v := range envFile(in.Plan, in.ImageEnv) {
		if strings.ContainsAny(v.value, "\n\r") {
			fmt.Fprintf(&b, "# %s (%s) holds a line break and cannot be written here; see %s\n", v.name, v.pos, ConfigName)
			continue
		}
		fmt.Fprintf(&b, "# %s\n%s=%s\n", v.pos, v.name, v.value)
	}
	return b.Bytes()
}

// markdownEscapers are the template functions that make a value safe
// where it goes in Markdown: md (text), code (a code span), fence (a code
// block), html (the text of an HTML element), url (a link's destination)
// and sh (a shell word inside a code block).
var markdownEscapers = map[string]bool{"md": true, "code": true, "fence": true, "html": true, "url": true, "sh": true}

// escapeValues ends every action of a Markdown template that prints a
// value with an escaper: md, unless the action already ends with one. A
// value is so escaped where the template prints it, whichever field it
// comes from and whether or not its author thought of it, the way
// html/template escapes HTML.
func escapeValues(tree *parse.Tree, n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			escapeValues(tree, c)
		}
	case *parse.IfNode:
		escapeValues(tree, n.List)
		escapeValues(tree, n.ElseList)
	case *parse.RangeNode:
		escapeValues(tree, n.List)
		escapeValues(tree, n.ElseList)
	case *parse.WithNode:
		escapeValues(tree, n.List)
		escapeValues(tree, n.ElseList)
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return // an assignment prints nothing
		}
		last := n.Pipe.Cmds[len(n.Pipe.Cmds)-1]
		if id, ok := last.Args[0].(*parse.IdentifierNode); ok && markdownEscapers[id.Ident] {
			return
		}
		md := parse.NewIdentifier("md").SetTree(tree).SetPos(n.Pos)
		n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{NodeType: parse.NodeCommand, Pos: n.Pos, Args: []parse.Node{md}})
	}
}

func stepNo(i int) string {
	if i < 0 {
		return "-"
	}
	return strconv.Itoa(i + 1)
}

func assigneeText(a string) string {
	switch strings.ToLower(strings.TrimSpace(a)) {
	case "":
		return "作者本人（提交者自行认领）。"
	case "open":
		return "欢迎其他开发者认领（open）。"
	}
	return a
}

// fullName spells a reference as BuildKit names it in its progress:
// "debian:12" is docker.io/library/debian:12.
func fullName(s string) string {
	ref, err := imageref.Parse(s)
	if err != nil {
		return s
	}
	return ref.Full()
}

// trimDigest drops a digest from a reference, so it can be pinned anew.
// A value that is no image reference is kept as it is: it came from the
// bundle, and the rebuild will name what is wrong with it.
func trimDigest(s string) string {
	ref, err := imageref.Parse(s)
	if err != nil {
		return s
	}
	return ref.WithoutDigest()
}

func unixUTC(epoch int64) time.Time { return time.Unix(epoch, 0).UTC() }

// simulatedNoteOf is what the scripts of a bundle on a simulated base say.
func simulatedNoteOf(e *Expected) string {
	if !e.Simulated {
		return ""
	}
	return e.SimulatedNote
}

// touchStamp is the epoch in touch -t's [[CC]YY]MMDDhhmm.SS form, read in
// UTC (the script sets TZ=UTC0): POSIX touch has no -d @SECONDS.
func touchStamp(epoch int64) string {
	return unixUTC(epoch).Format("200601021504.05")
}
