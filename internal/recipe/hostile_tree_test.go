package recipe

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// nonPrintingNames are file and folder names that must never reach a
// generated script, a document or a terminal: line breaks and escapes that
// start new commands or rewrite the screen, bidi controls and invisible
// characters that make a name read as another, and bytes that are not UTF-8.
var nonPrintingNames = map[string]string{
	"newline":         "a\ntouch PWNED #.yaml",
	"carriage return": "a\rb.yaml",
	"tab":             "a\tb.yaml",
	"escape":          "a\x1b[2Jb.yaml",
	"delete":          "a\x7fb.yaml",
	"C1 control":      "a\u0085b.yaml",
	"RLO":             "evil\u202egnp.yaml",
	"LRE":             "a\u202ab.yaml",
	"PDF":             "a\u202cb.yaml",
	"LRI":             "a\u2066b.yaml",
	"PDI":             "a\u2069b.yaml",
	"zero width":      "a\u200bb.yaml",
	"line separator":  "a\u2028b.yaml",
	"para separator":  "a\u2029b.yaml",
	"not UTF-8":       "caf\xe9.yaml",
}

// hasNonPrinting reports a character of the classes recipes refuse.
func hasNonPrinting(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) && r != '\n'
	})
}

// TestPositionsEscapeFileNames: whatever made the position, a file name is
// never printed raw.
func TestPositionsEscapeFileNames(t *testing.T) {
	for _, name := range nonPrintingNames {
		e := &Error{Pos: Pos{File: name, Line: 3, Col: 4}, Field: "name\u202e", Msg: "problem"}
		if got := e.Error(); hasNonPrinting(got) || strings.Contains(got, "\n") {
			t.Errorf("Error() = %q", got)
		}
	}
	if got := (Pos{File: "recipes/app/app.yaml", Line: 1, Col: 2}).String(); got != "recipes/app/app.yaml:1:2" {
		t.Errorf("a plain path is changed: %q", got)
	}
}

// TestLoadQuotesOnlyAnExcerptOfOtherFiles: a file that is not a recipe (a
// credentials file copied into the tree, say) is named, but at most a short
// excerpt of its text appears in the problem.
func TestLoadQuotesOnlyAnExcerptOfOtherFiles(t *testing.T) {
	const secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyzABCD"
	for _, data := range []string{
		secret + "\n",
		"token=" + secret + "\n",
		"!" + secret + " x\n",
		"\"" + secret + "\\u202e\"\n",
		"- " + secret + "\n",
	} {
		_, err := Load("creds.yaml", []byte(data))
		if err == nil {
			t.Fatalf("%q loaded", data)
		}
		msg := err.Error()
		for i := 0; i+maxExcerptRunes+1 <= len(secret); i++ {
			if strings.Contains(msg, secret[i:i+maxExcerptRunes+1]) {
				t.Errorf("%q: the problem quotes more than %d characters of the file: %s", data, maxExcerptRunes, msg)
				break
			}
		}
		if hasNonPrinting(msg) {
			t.Errorf("%q: unescaped: %q", data, msg)
		}
	}
}
