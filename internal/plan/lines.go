package plan

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// LineOrigin says where one Dockerfile line comes from, so that a build
// error at a Dockerfile line can name the recipe line behind it.
type LineOrigin struct {
	Line int `json:"line"` // 1-based Dockerfile line
	// Step is the index in Plan.Steps, or -1 for lines that belong to no
	// step (header, FROM, ARG, LABEL).
	Step int        `json:"step"`
	Pos  recipe.Pos `json:"pos"`
}

// Origin returns the origin of a 1-based Dockerfile line.
func (r *Rendered) Origin(line int) (LineOrigin, bool) {
	if line < 1 || line > len(r.Lines) {
		return LineOrigin{}, false
	}
	return r.Lines[line-1], true
}

// OriginOf returns the recipe position ("file:line:col", relative to the
// recipe root) a Dockerfile line comes from, in the form a builder puts in
// front of a build error.
func (r *Rendered) OriginOf(line int) (string, bool) {
	o, ok := r.Origin(line)
	if !ok || o.Pos.IsZero() {
		return "", false
	}
	return o.Pos.String(), true
}

// FormatLines renders the line map as text, one Dockerfile line per line:
// "<line> <step or -> <file:line:col>".
func FormatLines(lines []LineOrigin) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		step := "-"
		if l.Step >= 0 {
			step = fmt.Sprint(l.Step)
		}
		fmt.Fprintf(&b, "%d %s %s\n", l.Line, step, l.Pos)
	}
	return b.Bytes()
}

// origin is what a line being written maps to.
type origin struct {
	step int
	pos  recipe.Pos
}

func noStep(pos recipe.Pos) origin { return origin{step: -1, pos: pos} }

// Limits of what BuildKit reads. Its dockerfile frontend refuses a
// Dockerfile larger than 16 MiB (the gRPC message limit it loads files
// with), and its parser reads lines with bufio.Scanner's default buffer of
// 64 KiB, the newline included; a longer line fails the whole parse.
const (
	maxDockerfileSize = 16 << 20
	maxDockerfileLine = 64<<10 - 1
)

// dockerfile accumulates Dockerfile lines with their origins. The first
// value that cannot be rendered is kept as err and reported at the end, so
// rendering code reads straight through. Once the text would outgrow
// maxDockerfileSize nothing more is written, so a plan that renders too big
// is refused in bounded memory.
type dockerfile struct {
	buf   bytes.Buffer
	lines []LineOrigin
	err   error
	// probe makes lockable steps record what they resolve (lock_probe.go).
	probe bool
	full  bool
}

func (d *dockerfile) line(o origin, text string) {
	switch {
	case d.full:
		return
	case d.buf.Len()+len(text)+1 > maxDockerfileSize:
		d.full = true
		d.fail(fmt.Errorf("%s: the Dockerfile would be larger than %d bytes (16 MiB), the most BuildKit reads", o.pos, maxDockerfileSize))
		return
	case len(text) > maxDockerfileLine:
		d.fail(fmt.Errorf("%s: this renders a Dockerfile line of %d bytes; BuildKit's parser reads lines of at most %d", o.pos, len(text), maxDockerfileLine))
	case strings.ContainsAny(text, "\n\r"):
		d.fail(fmt.Errorf("%s: internal error: a line break in rendered text", o.pos))
	}
	d.buf.WriteString(text)
	d.buf.WriteByte('\n')
	d.lines = append(d.lines, LineOrigin{Line: len(d.lines) + 1, Step: o.step, Pos: o.pos})
}

// fail keeps the first rendering problem.
func (d *dockerfile) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// comment writes a comment line; free text is folded onto one line.
func (d *dockerfile) comment(o origin, text string) {
	d.line(o, strings.TrimRight("# "+oneLine(text), " "))
}

// instruction writes an instruction spread over several lines, joining them
// with line continuations. BuildKit's parser skips a continuation line that
// is blank or starts with '#' (after any white space) as a comment, and
// goes on joining lines until one does not end in '\\', so such a line would
// take the next instruction into this one; callers never produce one, and
// this is where that is made sure of.
func (d *dockerfile) instruction(o origin, lines []string) {
	for i, l := range lines {
		if i > 0 {
			if rest := strings.TrimLeftFunc(l, unicode.IsSpace); rest == "" || rest[0] == '#' {
				d.fail(fmt.Errorf("%s: internal error: continuation line %q would read as a comment", o.pos, l))
			}
		}
		if i < len(lines)-1 {
			l += " \\"
		}
		d.line(o, l)
	}
}

// check records a value that cannot go on one Dockerfile line.
func (d *dockerfile) check(o origin, what, value string) {
	if why := checkLine(value); why != "" {
		d.fail(fmt.Errorf("%s: %s %s", o.pos, what, why))
	}
}
