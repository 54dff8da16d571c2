package builder

import (
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/solver/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// LineOrigin maps a line of the rendered Dockerfile (1-based) to where it
// came from in the recipe, e.g. "recipes/mineru.yaml:12".
type LineOrigin func(dockerfileLine int) (origin string, ok bool)

// logTailLines is how much of a failing step's output an error shows.
const logTailLines = 20

// StepError is a build step that failed, told in the user's terms: the
// recipe position, the Dockerfile instruction, and the end of its output.
type StepError struct {
	Origin  string   // recipe position, "" when unknown
	Line    int      // first Dockerfile line of the instruction, 0 when unknown
	Command string   // the Dockerfile instruction as written
	Log     []string // last lines the step printed
	Err     error    // BuildKit's error
}

func (e *StepError) Error() string {
	var b strings.Builder
	switch {
	case e.Origin != "":
		fmt.Fprintf(&b, "%s: ", e.Origin)
	case e.Line > 0:
		fmt.Fprintf(&b, "Dockerfile:%d: ", e.Line)
	}
	if e.Command != "" {
		fmt.Fprintf(&b, "%s: ", e.Command)
	}
	b.WriteString(cleanSolveError(e.Err))
	if len(e.Log) > 0 {
		fmt.Fprintf(&b, "\nlast %d lines of its output:", len(e.Log))
		for _, l := range e.Log {
			b.WriteString("\n  ")
			b.WriteString(l)
		}
	}
	return b.String()
}

func (e *StepError) Unwrap() error { return e.Err }

// cleanSolveError drops what the message already says: BuildKit's stacked
// "failed to solve: " prefixes and its repetition of the command.
func cleanSolveError(err error) string {
	msg := err.Error()
	for _, p := range []string{"failed to solve: ", "did not complete successfully: "} {
		if i := strings.LastIndex(msg, p); i >= 0 {
			msg = msg[i+len(p):]
		}
	}
	return msg
}

// stepError turns a solve error into a StepError when BuildKit says which
// Dockerfile lines failed; other errors are returned unchanged.
func stepError(err error, t *solveTap, origin LineOrigin) error {
	srcs := errdefs.Sources(err)
	var dgst digest.Digest
	var ve *errdefs.VertexError
	if errors.As(err, &ve) {
		dgst = digest.Digest(ve.Digest)
	}
	if len(srcs) == 0 && dgst == "" {
		return err
	}
	se := &StepError{Err: err}
	if len(srcs) > 0 {
		src := srcs[len(srcs)-1]
		se.Line, se.Command = sourceLines(src)
		if origin != nil && se.Line > 0 {
			if o, ok := origin(se.Line); ok {
				se.Origin = o
			}
		}
	}
	if dgst != "" && t != nil {
		se.Log = t.logTail(dgst, logTailLines)
		if se.Command == "" {
			se.Command = t.names[dgst]
		}
	}
	return se
}

// sourceLines is the first line of the failing range and the text of the
// whole range, continuation lines joined.
func sourceLines(src *errdefs.Source) (int, string) {
	if src.Info == nil || len(src.Ranges) == 0 {
		return 0, ""
	}
	start, end := int(src.Ranges[0].Start.Line), int(src.Ranges[0].End.Line)
	for _, r := range src.Ranges[1:] {
		start = min(start, int(r.Start.Line))
		end = max(end, int(r.End.Line))
	}
	lines := strings.Split(string(src.Info.Data), "\n")
	if start < 1 || start > len(lines) {
		return start, ""
	}
	end = min(max(end, start), len(lines))
	var parts []string
	for _, l := range lines[start-1 : end] {
		parts = append(parts, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "\\")))
	}
	return start, strings.Join(parts, " ")
}
