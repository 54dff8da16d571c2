package builder

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Dockerfile is a Dockerfile as the dockerfile.v0 frontend reads it: the
// result of BuildKit's own parser and instruction reader, the code every
// buildkitd runs on the file macabox sends it.
type Dockerfile struct {
	// Directives are the parser directives at the top (syntax, escape,
	// check), in order.
	Directives []DockerfileDirective
	// Frontend is the frontend image the file names, as DockerfileFrontend
	// finds it; "" when it names none.
	Frontend string
	// Stages are the stages, one per FROM, in order.
	Stages []DockerfileStage
	// Instructions are every instruction in order, FROM included.
	Instructions []DockerfileInstruction
	// Warnings are what the parser and BuildKit's lint rules said about
	// the file while reading it.
	Warnings []DockerfileWarning
}

// DockerfileDirective is one parser directive, such as "# escape=`".
type DockerfileDirective struct {
	Name  string // lower case: syntax, escape, check
	Value string
	Line  int
}

// DockerfileStage is one FROM and what it starts from.
type DockerfileStage struct {
	Index int
	// Name is the AS name in lower case; empty for an unnamed stage.
	Name string
	// Base is the image reference or earlier stage name FROM gives.
	Base string
	Line int
}

// DockerfileInstruction is one instruction with the lines it spans.
type DockerfileInstruction struct {
	// Keyword is upper case: FROM, RUN, COPY, ...
	Keyword string
	// StartLine and EndLine are 1-based; EndLine counts continuation lines
	// and heredoc bodies.
	StartLine, EndLine int
	// Stage is the index of the stage the instruction belongs to (a FROM
	// belongs to the stage it starts); -1 for an ARG before the first FROM.
	Stage int
	// Original is the instruction's lines as written, StartLine to EndLine.
	Original string
}

// DockerfileWarning is one thing the parser or a lint rule noted.
type DockerfileWarning struct {
	// Rule names the lint rule, e.g. FromAsCasing; empty for the parser's
	// own warnings.
	Rule    string
	Message string
	Line    int
}

// ParseDockerfile reads data as BuildKit does, and fails where BuildKit
// would refuse the file before building anything: a syntax error, an
// unknown instruction, a malformed flag or stage name.
func ParseDockerfile(data []byte) (*Dockerfile, error) {
	var directives parser.DirectiveParser
	found, err := directives.ParseAll(data)
	if err != nil {
		return nil, fmt.Errorf("parsing the Dockerfile: %w", err)
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parsing the Dockerfile: %w", withLine(err))
	}
	df := &Dockerfile{Frontend: DockerfileFrontend(data)}
	for _, d := range found {
		df.Directives = append(df.Directives, DockerfileDirective{Name: d.Name, Value: d.Value, Line: startLine(d.Location)})
	}
	for _, w := range res.Warnings {
		df.Warnings = append(df.Warnings, DockerfileWarning{Message: w.Short, Line: startOf(w.Location)})
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		df.Warnings = append(df.Warnings, DockerfileWarning{Rule: rule, Message: msg, Line: startLine(loc)})
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, fmt.Errorf("parsing the Dockerfile: %w", err)
	}
	for i, s := range stages {
		df.Stages = append(df.Stages, DockerfileStage{Index: i, Name: s.Name, Base: s.BaseName, Line: startLine(s.Location)})
	}
	lines := strings.Split(string(data), "\n")
	stage := -1
	for _, n := range res.AST.Children {
		kw := strings.ToUpper(n.Value)
		if kw == "FROM" {
			stage++
		}
		df.Instructions = append(df.Instructions, DockerfileInstruction{
			Keyword: kw, StartLine: n.StartLine, EndLine: n.EndLine, Stage: stage,
			Original: linesAsWritten(lines, n.StartLine, n.EndLine),
		})
	}
	return df, nil
}

// DockerfileFrontend is the frontend image a Dockerfile names, found the way
// the dockerfile.v0 frontend finds it before reading anything else: a
// syntax directive at the top (also after a byte order mark or a #! line,
// or in // comments) or a JSON document with a "syntax" key. A frontend
// that finds one hands the whole build to that image, unless the request
// pins it (see Request). "" when the file names none.
func DockerfileFrontend(data []byte) string {
	ref, _, _, ok := parser.DetectSyntax(data)
	if !ok {
		return ""
	}
	return ref
}

// linesAsWritten joins lines first to last (1-based), without the carriage
// returns of a file written with CRLF.
func linesAsWritten(lines []string, first, last int) string {
	first, last = max(first, 1), min(last, len(lines))
	var b strings.Builder
	for i := first; i <= last; i++ {
		if i > first {
			b.WriteByte('\n')
		}
		b.WriteString(strings.TrimSuffix(lines[i-1], "\r"))
	}
	return b.String()
}

// withLine puts the line of a parser error in its message, where BuildKit
// keeps it only as data.
func withLine(err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 {
		if line := startLine(le.Locations[0]); line > 0 {
			return fmt.Errorf("line %d: %w", line, err)
		}
	}
	return err
}

func startLine(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

func startOf(r *parser.Range) int {
	if r == nil {
		return 0
	}
	return r.Start.Line
}
