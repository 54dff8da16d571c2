package recipe

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// badRunes are characters no name, description or path of a recipe may hold:
// they rewrite a terminal, reorder or hide text, or end a line of a
// generated script.
var badRunes = []rune{'\x1b', '\x7f', '\u0085', '\u00ad', '\u200b', '\u200e', '\u202a', '\u202e', '\u2066', '\u2069', '\u2028', '\u2029', '\ufeff', '\U000e0001'}

// TestLoadRefusesNonPrintingText: values that reach reports, scripts and
// `macabox list` are refused as they are read, at their position, for every
// class of non-printing character, bidi controls included.
func TestLoadRefusesNonPrintingText(t *testing.T) {
	const tmpl = `apiVersion: macabox/v1
kind: Layer
name: %s
description: %s
about: {title: %s, background: %s, links: [{title: %s, url: "https://example.com/"}]}
stages: [{name: %s, from: base, steps: [{run: "true"}]}]
steps:
  - copy: {src: [%s], dest: /x/}
smoke:
  - {name: %s, run: "true"}
`
	fields := []struct {
		key, pos  string
		paragraph bool // line breaks allowed
	}{
		{"name", "3:7", false},
		{"description", "4:14", true},
		{"title", "5:16", false},
		{"background", "5:%d", true},
		{"title", "5:%d", false},
		{"name", "6:17", false},
		{"src", "8:18", false},
		{"name", "10:12", false},
	}
	good := []string{"app", "text", "t", "b", "l", "st", "f", "check"}
	for i, f := range fields {
		bad := badRunes
		if !f.paragraph {
			bad = append(bad, '\n', '\t', '\r')
		}
		for _, r := range bad {
			t.Run(fmt.Sprintf("%s %d %U", f.key, i, r), func(t *testing.T) {
				values := make([]any, len(good))
				for j, g := range good {
					values[j] = strconv.Quote(g)
				}
				value := strconv.QuoteToASCII("a" + string(r) + "b")
				values[i] = value
				src := fmt.Sprintf(tmpl, values...)
				_, err := Load("x.yaml", []byte(src))
				if err == nil {
					t.Fatalf("%s with %U loaded", f.key, r)
				}
				pos := f.pos
				if strings.Contains(pos, "%d") {
					line := strings.Split(src, "\n")[4]
					pos = fmt.Sprintf(pos, strings.Index(line, value)+1)
				}
				want := fmt.Sprintf("x.yaml:%s: field %q: ", pos, f.key)
				got := err.Error()
				if !strings.HasPrefix(got, want) || !strings.Contains(got, fmt.Sprintf("%U", r)) || strings.Count(got, "\n") != 0 {
					t.Errorf("got\n%s\nwant one problem starting %s and naming %U", got, want, r)
				}
			})
		}
	}
	// Line breaks and tabs are the text of a paragraph.
	src := fmt.Sprintf(tmpl, "app", strconv.Quote("one\n\ttwo\n"), "t", strconv.Quote("b\nc"), "l", "st", "f", strconv.Quote("a test, ending in \\"))
	if _, err := Load("x.yaml", []byte(src)); err != nil {
		t.Errorf("a paragraph with line breaks: %v", err)
	}
}
