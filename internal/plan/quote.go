package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Values reach the build through three different parsers, each with its own
// escaping rules; one function per parser keeps the rules apart:
//
//   - shQuote: POSIX sh, for values inside generated RUN commands;
//   - dqQuote: the Dockerfile's double-quoted words (ENV, ARG, LABEL), which
//     the frontend expands like a shell word;
//   - lexEscape + jsonArray: paths in the JSON form of COPY, ADD, WORKDIR and
//     USER, which the frontend still runs through its word expander.
//
// None of them can carry a line break, because a Dockerfile instruction is one
// line; checkLine rejects those values before quoting.

// checkLine reports why s cannot be placed on one Dockerfile line, or "" when
// it can: line breaks and other control characters would end or corrupt the
// instruction, and invalid UTF-8 would be rewritten by the JSON encoder.
func checkLine(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			return "contains a line break, which this field cannot hold"
		case r == '\t':
		case unicode.IsControl(r):
			return fmt.Sprintf("contains the control character %U", r)
		}
	}
	return ""
}

// shQuote quotes s for POSIX sh as one word that reaches the program exactly
// as written: inside single quotes nothing is special, and a single quote is
// closed, escaped and reopened.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shQuoteGlob quotes a path for sh but leaves '*' and '?' unquoted, so that
// a pip requirement such as /tmp/wheels/*.whl still names the wheels a
// previous step produced. Everything else is quoted as by shQuote.
func shQuoteGlob(s string) string {
	if !strings.ContainsAny(s, "*?") {
		return shQuote(s)
	}
	var b strings.Builder
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			b.WriteString(shQuote(lit.String()))
			lit.Reset()
		}
	}
	for _, r := range s {
		if r == '*' || r == '?' {
			flush()
			b.WriteRune(r)
			continue
		}
		lit.WriteRune(r)
	}
	flush()
	return b.String()
}

// dqQuote renders s as a Dockerfile double-quoted word whose expansion is s
// itself: the frontend's word expander treats '\', '"' and '$' specially
// inside double quotes, so those are escaped and nothing else is.
func dqQuote(s string) string {
	return `"` + dqEscape(s) + `"`
}

func dqEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || r == '"' || r == '$' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lexEscape escapes s for the frontend's word expander outside quotes, which
// COPY, ADD, WORKDIR and USER apply to their arguments even in JSON form.
// A backslash before any character makes that character literal.
func lexEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '$', '\'', '"', '<':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// jsonArray renders words as a one-line JSON array of strings, the exec form
// of RUN and the JSON form of COPY and ADD. HTML escaping is off so that '<',
// '>' and '&' stay readable; the frontend decodes both spellings alike.
func jsonArray(words ...string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(w); err != nil {
			panic(err) // encoding a string cannot fail
		}
		parts[i] = strings.TrimSuffix(buf.String(), "\n")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
