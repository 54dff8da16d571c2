package recipe

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Limits on what the loader accepts. Recipes are small hand-written files; these
// bounds are far above any real recipe and exist so that a hostile or corrupt
// file is refused quickly, in bounded memory, with a positioned error.
const (
	// MaxFileSize is the largest recipe file read, in bytes (1 MiB). The
	// parsed node tree costs a bounded multiple of this.
	MaxFileSize = 1 << 20
	// MaxDocuments is the most YAML documents ("---"-separated) one file may
	// hold, empty ones included.
	MaxDocuments = 100
	// MaxDepth is the deepest nesting of mappings and sequences accepted; the
	// deepest real field (a pip extraIndex inside a stage) is at depth 8.
	MaxDepth = 32
	// MaxTreeEntries is the most files and folders one walk visits: the
	// folders a command reads recipes from, or a folder a copy step copies.
	// A walk that would go further stops with an error instead of spending
	// minutes in a wrong folder (a home directory, a mounted disk).
	MaxTreeEntries = 100_000
	// maxErrorsPerFile caps the problems reported for one file, so a file of
	// garbage yields a readable report instead of thousands of lines.
	maxErrorsPerFile = 200
)

// checkText refuses input that is not a small UTF-8 text before the YAML parser
// sees it: the parser's own errors for these cases carry no position.
func checkText(file string, data []byte, errs *errorList) bool {
	if len(data) > MaxFileSize {
		errs.add(Pos{File: file, Line: 1, Col: 1}, "", "file is %d bytes; recipes are limited to %d bytes (1 MiB)", len(data), MaxFileSize)
		return false
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		errs.add(offsetPos(file, data, i), "", "NUL byte; a recipe must be UTF-8 text, not a binary file")
		return false
	}
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			errs.add(offsetPos(file, data, i), "", "invalid UTF-8 (byte 0x%02x); a recipe must be UTF-8 text", data[i])
			return false
		}
		if !yamlPrintable(r) && !(r == '\uFEFF' && i == 0) {
			errs.add(offsetPos(file, data, i), "", "control character %U is not allowed in YAML", r)
			return false
		}
		i += size
	}
	return true
}

// yamlPrintable is YAML 1.2's c-printable set plus the line breaks and tab.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7E:
		return true
	case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// offsetPos turns a byte offset into a 1-based line and a column counted in
// characters, as the YAML parser counts them.
func offsetPos(file string, data []byte, off int) Pos {
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return Pos{File: file, Line: line, Col: 1 + utf8.RuneCount(data[start:off])}
}

// checkTree refuses anchors, aliases, custom tags and excessive nesting.
// Anchors and aliases are refused outright rather than bounded: a recipe gains
// little from them, and without them no input can expand ("billion laughs")
// or form a cycle in the decoder. yaml.v3 does not expand aliases when
// decoding into a Node, so refusing them before decoding is enough. Only the
// first anchor or alias of a document is reported, with a count of the rest,
// since an alias bomb would otherwise fill the report.
func (d *decoder) checkTree(root *yaml.Node) bool {
	t := treeCheck{d: d}
	t.walk(root, 1)
	if t.first != nil {
		more := ""
		if t.aliases > 1 {
			more = fmt.Sprintf(" (%d anchors and aliases in this document)", t.aliases)
		}
		d.errs.add(d.pos(t.first), "", "anchors (&name) and aliases (*name) are not supported%s; write the value out", more)
	}
	return t.ok && t.first == nil
}

type treeCheck struct {
	d       *decoder
	ok      bool
	first   *yaml.Node
	aliases int
}

func (t *treeCheck) walk(n *yaml.Node, depth int) {
	if depth == 1 {
		t.ok = true
	}
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		t.aliases++
		if t.first == nil {
			t.first = n
		}
	}
	if n.Tag != "" && n.Tag[0] == '!' && (len(n.Tag) < 2 || n.Tag[1] != '!') {
		t.d.errs.add(t.d.pos(n), "", "custom YAML tag %s is not supported", excerpt(n.Tag))
		t.ok = false
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if depth > MaxDepth {
			t.d.errs.add(t.d.pos(n), "", "nesting is deeper than %d levels", MaxDepth)
			t.ok = false
			return
		}
		for _, c := range n.Content {
			if t.d.full() {
				return
			}
			t.walk(c, depth+1)
		}
	}
}

// parseErrorPos extracts the line yaml.v3 puts in its messages
// ("yaml: line 3: ..."); it reports no column. The message is cleaned of
// line breaks so that it stays one line of the report.
func parseErrorPos(file string, msg string) (Pos, string) {
	pos := Pos{File: file, Line: 1, Col: 1}
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	rest, _ := strings.CutPrefix(msg, "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(rest, "line %d:", &line); n == 1 && line > 0 {
		_, after, _ := strings.Cut(rest, ": ")
		pos.Line = line
		return pos, after
	}
	return pos, rest
}
