package recipe

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names, descriptions and paths of a recipe end up in generated scripts
// (comments and quoted words of smoke.sh), in bundle documents, in reports
// and on terminals. Characters that do not print would change what those
// show: a line break starts a new command in a comment, an escape sequence
// rewrites the screen, and bidi controls (U+202A-U+202E, U+2066-U+2069) or
// zero-width characters make a name read as another. Such characters are
// refused where the text is read, so no later stage has to escape them.

// nonPrinting reports a character that is not shown as itself: a control
// character (Cc), a formatting character (Cf: bidi controls, zero-width
// characters, soft hyphens), or a line or paragraph separator (Zl, Zp).
func nonPrinting(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// findNonPrinting describes the first part of s that is not printing text:
// a byte that is not UTF-8 or a non-printing character other than those in
// allow. It returns "" when there is none.
func findNonPrinting(s, allow string) string {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Sprintf("a byte that is not UTF-8 (0x%02x)", s[i])
			}
		}
		if nonPrinting(r) && !strings.ContainsRune(allow, r) {
			return describeRune(r)
		}
	}
	return ""
}

// describeRune names a non-printing character for a message.
func describeRune(r rune) string {
	switch {
	case r == '\n' || r == '\r':
		return fmt.Sprintf("a line break (%U)", r)
	case unicode.Is(unicode.Cc, r):
		return fmt.Sprintf("the control character %U", r)
	case unicode.Is(unicode.Cf, r):
		return fmt.Sprintf("the invisible formatting character %U, which can hide or reorder text", r)
	case unicode.Is(unicode.Zl, r):
		return fmt.Sprintf("the line separator %U", r)
	}
	return fmt.Sprintf("the paragraph separator %U", r)
}

// Printable reports whether s is UTF-8 text without control, formatting or
// separator characters, so that it shows as what it is wherever it is
// printed.
func Printable(s string) bool { return findNonPrinting(s, "") == "" }

// Escape returns s as it is when it is Printable, and Go-quoted otherwise,
// for output that must stay one line and show every character: positions in
// messages, `macabox list`.
func Escape(s string) string {
	if Printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// escapeInline replaces each non-printing character of s by its Go escape
// (\n, \u202e, \xe9) and leaves the rest as it is. Messages go through it:
// they must stay one line of plain text whatever values they mention.
func escapeInline(s string) string {
	if Printable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case nonPrinting(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Text rules, as the text tag of a field names them (see types.go).
const (
	textLine      = "line"      // one line of printing characters
	textParagraph = "paragraph" // printing characters, line breaks and tabs
)

// checkTextRule applies a text rule to a value.
func checkTextRule(rule, s string) error {
	var allow string
	switch rule {
	case textLine:
	case textParagraph:
		allow = "\n\t"
	default:
		panic("recipe: unknown text rule " + strconv.Quote(rule))
	}
	if what := findNonPrinting(s, allow); what != "" {
		return fmt.Errorf("holds %s; names, descriptions and paths must be printable text", what)
	}
	return nil
}
