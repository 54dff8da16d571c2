// Package escape makes text that macabox did not write safe to show: one
// function per kind of output, so that a name, a message or a field from a
// bundle (or anything else untrusted) is shown as the text it is and never
// becomes structure there. A terminal gets no escape sequences and no line
// breaks it did not expect; Markdown gets no headings, lists, links,
// emphasis, tables or HTML; HTML gets no tags.
//
// Control characters, Unicode bidirectional controls, line and paragraph
// separators and invalid UTF-8 are shown, in every kind, the way Go writes
// them in a string literal (\x1b, \n, \u202e), so that what was there can
// still be read.
package escape

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// visible appends r, or the escape that shows it when it is a character
// that would act rather than show: a control, a bidirectional control, a
// line or paragraph separator.
func visible(b *strings.Builder, r rune) bool {
	switch {
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\r':
		b.WriteString(`\r`)
	case r == '\t':
		b.WriteString(`\t`)
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\x%02x`, r)
	case acts(r):
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		return false
	}
	return true
}

// entity appends the HTML entity of &, < or >, which mean markup in HTML
// and in Markdown alike.
func entity(b *strings.Builder, r rune) bool {
	switch r {
	case '&':
		b.WriteString("&amp;")
	case '<':
		b.WriteString("&lt;")
	case '>':
		b.WriteString("&gt;")
	default:
		return false
	}
	return true
}

// each calls fn for every character of s; invalid UTF-8 is shown byte by
// byte as \xNN and not passed on.
func each(s string, b *strings.Builder, fn func(r rune)) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(b, `\x%02x`, s[i])
		} else {
			fn(r)
		}
		i += size
	}
}

// Terminal is s as one line of plain text, for a terminal or a text file:
// every control character, line break included, is shown as an escape.
func Terminal(s string) string { return terminal(s, false) }

// TerminalLines is s as plain text that may span lines (an error message
// with a log): line breaks and tabs stay, every other control character
// is shown as an escape.
func TerminalLines(s string) string { return terminal(s, true) }

func terminal(s string, lines bool) string {
	var b strings.Builder
	each(s, &b, func(r rune) {
		if lines && (r == '\n' || r == '\t') || !visible(&b, r) {
			b.WriteRune(r)
		}
	})
	return b.String()
}

// Fprintf is fmt.Fprintf for a terminal or a text file: the format is the
// program's own, and every string, error and Stringer argument is passed
// through Terminal.
func Fprintf(w io.Writer, format string, args ...any) (int, error) {
	safe := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			safe[i] = Terminal(v)
		case error:
			safe[i] = Terminal(v.Error())
		case fmt.Stringer:
			safe[i] = Terminal(v.String())
		default:
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
				safe[i] = Terminal(rv.String()) // a named string type
			} else {
				safe[i] = a
			}
		}
	}
	return fmt.Fprintf(w, format, safe...)
}

// Writer passes what is written to w through TerminalLines: for a stream
// of messages (progress lines) that may quote untrusted text. Each Write
// must hold whole characters, as a Fprintf of a message does.
func Writer(w io.Writer) io.Writer { return terminalWriter{w} }

type terminalWriter struct{ w io.Writer }

func (t terminalWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(t.w, TerminalLines(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// markdownPunct are the characters that make inline Markdown (GitHub's
// flavour: emphasis, code, links, images, tables, strikethrough, math,
// headings' closing #) and are escaped with a backslash.
const markdownPunct = "\\`*_[]|~$#"

// Markdown is s as inline Markdown text on one line: a table cell, a list
// item, a heading, a sentence. Markdown's punctuation is escaped with a
// backslash, &, < and > become entities (so the text is also safe inside
// raw HTML), the characters that would start a block at the start of a
// line are escaped there, addresses are kept from becoming links, and
// surrounding white space is dropped (Markdown would drop it, or read
// leading spaces as code).
func Markdown(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	each(s, &b, func(r rune) {
		switch {
		case visible(&b, r), entity(&b, r):
		case r < utf8.RuneSelf && strings.ContainsRune(markdownPunct, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	})
	return escapeBlockStart(noAutolinks.Replace(b.String()))
}

// noAutolinks breaks what GitHub would turn into a link by itself: a
// scheme's "://", "www." and an e-mail address's "@" (which also
// notifies the user an "@name" names).
var noAutolinks = strings.NewReplacer("://", `\://`, "www.", `www\.`, "WWW.", `WWW\.`, "@", `\@`)

// escapeBlockStart escapes what would open a block when text starts a line:
// a list item (-, +, 1. or 1)) or a thematic break or setext underline (=,
// -). Headings (#), quotes (>), fences (`, ~) and HTML (<) are escaped
// everywhere already.
func escapeBlockStart(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '-' || s[0] == '+' || s[0] == '=' {
		return `\` + s
	}
	digits := 0
	for digits < len(s) && digits < 10 && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	if digits > 0 && digits < len(s) && (s[digits] == '.' || s[digits] == ')') &&
		(digits+1 == len(s) || s[digits+1] == ' ' || s[digits+1] == '\t') {
		return s[:digits] + `\` + s[digits:]
	}
	return s
}

// MarkdownCode is s as an inline code span on one line, fit for a table
// cell: its content is shown literally, with a fence of backticks longer
// than any run inside; a | is escaped (GitHub's tables split cells on it
// even inside code). Empty text gives no span.
func MarkdownCode(s string) string {
	var b strings.Builder
	each(s, &b, func(r rune) {
		switch {
		case visible(&b, r):
		case r == '|':
			b.WriteString(`\|`)
		default:
			b.WriteRune(r)
		}
	})
	c := b.String()
	if c == "" {
		return ""
	}
	fence := fenceFor(c, 1)
	if fence != "`" || strings.HasPrefix(c, "`") || strings.HasSuffix(c, "`") || strings.HasPrefix(c, " ") || strings.HasSuffix(c, " ") {
		return fence + " " + c + " " + fence
	}
	return fence + c + fence
}

// MarkdownBlock is s as a fenced code block, fence lines included: lines
// and tabs stay, other control characters are shown as escapes, and the
// fence is longer than any run of backticks inside, so no line of s can
// close it.
func MarkdownBlock(s string) string {
	body := TerminalLines(strings.TrimRight(s, "\n"))
	fence := fenceFor(body, 3)
	return fence + "text\n" + body + "\n" + fence
}

// HTML is s as the text of an HTML element on one line (a <summary> in
// Markdown, where Markdown is not read): &, <, > and " become entities,
// control characters escapes.
func HTML(s string) string {
	var b strings.Builder
	each(s, &b, func(r rune) {
		switch {
		case visible(&b, r), entity(&b, r):
		case r == '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	})
	return b.String()
}

// URL is s as the destination of a Markdown link: an http or https
// address with every character that could end the destination or start
// markup percent-encoded. Anything else is no link: "".
func URL(s string) string {
	lower := strings.ToLower(s)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>[]`\"'\\|{}^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// escapeJSON is encoded JSON with every character left in its strings that does
// not print as itself escaped as \uXXXX: DEL, C1 controls, format
// characters (bidirectional controls, zero-width ones) and line and
// paragraph separators, which encoding/json keeps as they are (it escapes
// the C0 controls and makes invalid UTF-8 U+FFFD itself). A terminal, a log
// or an editor would act on them, or show nothing. Outside strings JSON is
// ASCII, so the value it encodes is unchanged.
func escapeJSON(encoded []byte) []byte {
	if !bytes.ContainsFunc(encoded, hidden) {
		return encoded
	}
	var b bytes.Buffer
	for _, r := range string(encoded) {
		switch {
		case !hidden(r):
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.Bytes()
}

// hidden reports the characters JSON output escapes: those beyond ASCII's
// printing ones that do not print as themselves (C0 controls never reach
// it: encoding/json escapes them, and the layout's line breaks are ASCII).
func hidden(r rune) bool {
	return r == 0x7f || r >= 0x80 && unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// MarshalJSON is the JSON form of what macabox writes from values it did not
// choose itself (bundles, reports of reproductions, references, evidence,
// list and verify --json): indented, no HTML escaping (patterns and outputs
// hold < and >), the characters that act in a terminal escaped (see
// escapeJSON), a final newline.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escapeJSON(b.Bytes()), nil
}

// acts reports the characters beyond ASCII that do something rather than
// show: C1 controls, bidirectional controls, line and paragraph
// separators.
func acts(r rune) bool {
	return r >= 0x80 && r < 0xa0 || r == 0x061c || r == 0x200e || r == 0x200f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029
}

// fenceFor is the shortest run of backticks, at least least long, that s
// does not contain: a fence s cannot close.
func fenceFor(s string, least int) string {
	fence := strings.Repeat("`", least)
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence
}
