package plan

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// writeStep writes one step: a comment naming its recipe position and
// source, then the instruction.
func writeStep(d *dockerfile, s *Step) {
	o := origin{step: s.Index, pos: s.Pos}
	stepComment(d, s)
	switch s.Kind {
	case KindRun:
		writeRun(d, o, s.Run)
	case KindApt:
		cmds := aptCommands(d, o, s.Apt)
		if d.probe {
			cmds = aptProbe(o, cmds)
		}
		writeShell(d, o, aptMounts, nil, cmds)
	case KindDnf:
		cmds := dnfCommands(d, o, s.Dnf)
		if d.probe {
			cmds = dnfProbe(o, cmds)
		}
		writeShell(d, o, dnfMounts, nil, cmds)
	case KindPip:
		writeShell(d, o, pipMounts, credentialMount(s.Pip.Netrc), pipCommands(d, o, s.Pip))
	case KindGit:
		writeShell(d, o, nil, credentialMount(s.Git.Token), gitCommands(d, o, s.Git))
	case KindCopy:
		writeCopy(d, o, s.Copy)
	case KindDownload:
		writeDownload(d, o, s.Download)
	case KindEnv:
		writeEnv(d, o, s.Env)
	case KindWorkdir:
		d.check(o, "workdir", s.Workdir)
		d.line(o, "WORKDIR "+lexEscape(s.Workdir))
	case KindUser:
		d.check(o, "user", s.User)
		d.line(o, "USER "+lexEscape(s.User))
	default:
		if d.err == nil {
			d.err = fmt.Errorf("%s: unknown step kind %q", s.Pos, s.Kind)
		}
	}
}

// Cache mounts keep package indexes and downloads between builds without
// putting them in a layer; sharing=locked because the package managers are
// not safe to run twice at once over the same cache.
var (
	aptMounts = []string{
		"--mount=type=cache,target=/var/cache/apt,sharing=locked",
		"--mount=type=cache,target=/var/lib/apt/lists,sharing=locked",
	}
	dnfMounts = []string{
		"--mount=type=cache,target=/var/cache/dnf,sharing=locked",
		"--mount=type=cache,target=/var/cache/yum,sharing=locked",
	}
	pipMounts = []string{
		"--mount=type=cache,target=/root/.cache/pip,sharing=locked",
	}
)

func secretMounts(ids []string) []string {
	var out []string
	for _, id := range ids {
		// required: a missing secret must fail the step, not let it run
		// without credentials and fail obscurely (or succeed differently).
		out = append(out, "--mount=type=secret,id="+id+",required=true")
	}
	return out
}

// credentialMount mounts the build secret a git or pip step reads its
// credentials from, if it names one. Unlike a run step's secrets it is not
// required: a recipe's source may be public by default and private in a fork
// (--set to another URL), and the tool says plainly when it is refused.
func credentialMount(id string) []string {
	if id == "" {
		return nil
	}
	return []string{"--mount=type=secret,id=" + id}
}

// writeShell writes a generated RUN in shell form: flags first, then the
// commands chained with &&, one per line.
func writeShell(d *dockerfile, o origin, mounts, more []string, cmds []shellCmd) {
	var lines []string
	for _, m := range append(append([]string(nil), mounts...), more...) {
		lines = append(lines, m)
	}
	for i, c := range cmds {
		for j, l := range c.lines() {
			switch {
			case j > 0:
				l = "      " + l
			case i > 0:
				l = " && " + l
			}
			lines = append(lines, l)
		}
	}
	d.instruction(o, runLines(lines))
}

// runLines puts RUN before the first line and indents the following flag
// and first-command lines under it.
func runLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		switch {
		case i == 0:
			out[i] = "RUN " + l
		case strings.HasPrefix(l, " && "), strings.HasPrefix(l, "      "):
			out[i] = l
		default:
			out[i] = "    " + l
		}
	}
	return out
}

func writeRun(d *dockerfile, o origin, r *RunStep) {
	var flags []string
	flags = append(flags, secretMounts(r.Secrets)...)
	for _, c := range r.Cache {
		flags = append(flags, "--mount=type=cache,target="+c)
	}
	if r.Network != "" {
		flags = append(flags, "--network="+r.Network)
	}
	body := r.Script
	if !utf8.ValidString(body) {
		// Exec form would carry it through JSON, whose encoder replaces
		// invalid bytes: the shell would run another script.
		d.fail(fmt.Errorf("%s: the script is not valid UTF-8", o.pos))
	}
	if !shellFormOK(body) {
		body = execForm(body)
	}
	d.instruction(o, runLines(append(flags, body)))
}

func writeCopy(d *dockerfile, o origin, c *CopyStep) {
	head := "COPY"
	if c.FromStage != "" {
		head += " --from=" + c.FromStage
	}
	if c.Owner != "" {
		head += " --chown=" + c.Owner
	}
	if c.Mode != "" {
		head += " --chmod=" + c.Mode
	}
	words := make([]string, 0, len(c.Sources)+1)
	for _, s := range append(append([]string(nil), c.Sources...), c.Dest) {
		d.check(o, "copy path", s)
		words = append(words, lexEscape(s))
	}
	d.line(o, head+" "+jsonArray(words...))
}

// writeDownload uses ADD --checksum (Dockerfile 1.6, in every frontend that
// BuildKit v0.34 embeds): BuildKit fetches the URL, checks the digest, and
// caches by it, with no curl or sha256sum needed in the image.
func writeDownload(d *dockerfile, o origin, dl *DownloadStep) {
	d.check(o, "url", dl.URL)
	d.check(o, "dest", dl.Dest)
	head := "ADD --checksum=sha256:" + dl.SHA256
	if dl.Mode != "" {
		head += " --chmod=" + dl.Mode
	}
	d.line(o, head+" "+jsonArray(lexEscape(dl.URL), lexEscape(dl.Dest)))
}

// writeEnv writes one variable. References stay for the frontend to expand
// against the environment as it is at this point; everything else is
// escaped so that it arrives as written.
func writeEnv(d *dockerfile, o origin, e *EnvVar) {
	segs, err := splitRefs(e.Value)
	if err != nil {
		if d.err == nil {
			d.err = fmt.Errorf("%s: env %s: %w", o.pos, e.Name, err)
		}
		return
	}
	var b strings.Builder
	b.WriteString(`"`)
	for _, s := range segs {
		if s.Ref != "" {
			b.WriteString("${" + s.Ref + "}")
			continue
		}
		d.check(o, "env "+e.Name, s.Lit)
		b.WriteString(dqEscape(s.Lit))
	}
	b.WriteString(`"`)
	d.line(o, "ENV "+e.Name+"="+b.String())
}
