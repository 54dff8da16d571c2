package escape

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// hostile are strings that try to become structure: Markdown, HTML,
// line breaks, terminal escape sequences, bidirectional controls and
// invalid UTF-8.
var hostile = []string{
	"**✅ reproduced**: same digest",
	"\n\n✅ reproduced\n\n# Verdict\n",
	"[✅ reproduced](https://example.com/x) ![img](https://example.com/i.png)",
	"<img src=x onerror=alert(1)> <script>alert(1)</script> &lt;b&gt;",
	"| a | b |\n|---|---|\n| c | d |",
	"a | b ` c `` d ``` e",
	"```\nfenced\n```",
	"- item\n+ item\n1. item\n2) item",
	"> quote",
	"# heading #",
	"---",
	"===",
	"    indented code",
	"~~strike~~ $x^2$ _em_ *em*",
	"\x1b[2J\x1b[31mred\x1b[0m\x1b]0;title\x07 \x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\",
	"tab\there\rcarriage\x00nul\x7fdel\u0085next",
	"bidi \u202eevil\u202c \u2066iso\u2069 line\u2028sep",
	"bad \xff\xfe utf-8",
	"\\`escaped\\` \\*",
	"https://example.com/a_b_(c)",
}

func render(t *testing.T, src string) string {
	t.Helper()
	var out bytes.Buffer
	// Raw HTML is rendered, as GitHub renders what its sanitizer allows,
	// so that any that gets through shows.
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := md.Convert([]byte(src), &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var tag = regexp.MustCompile(`<[^>]*>`)

// tags lists the HTML tags a rendering holds, in order.
func tags(html string) []string { return tag.FindAllString(html, -1) }

func noControls(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not valid UTF-8: %q", what, s)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 {
			t.Errorf("%s holds %U: %q", what, r, s)
		}
	}
}

func TestMarkdownIsText(t *testing.T) {
	for _, s := range hostile {
		for _, doc := range []struct{ md, want string }{
			{"text " + Markdown(s) + " text\n", "<p></p>"},
			{Markdown(s) + "\n", "<p></p>"},
			{"- " + Markdown(s) + "\n", "<ul><li></li></ul>"},
			{"# " + Markdown(s) + "\n", "<h1></h1>"},
			{"| a | b |\n|---|---|\n| " + Markdown(s) + " | " + MarkdownCode(s) + " |\n", "<table><thead><tr><th></th><th></th></tr></thead><tbody><tr><td></td><td><code></code></td></tr></tbody></table>"},
			{"<details><summary>" + HTML(s) + "</summary>\n\n" + MarkdownBlock(s) + "\n\n</details>\n", `<details><summary></summary><pre><code class="language-text"></code></pre></details>`},
		} {
			if strings.TrimSpace(Markdown(s)) == "" {
				continue
			}
			out := render(t, doc.md)
			if got := strings.Join(tags(out), ""); got != doc.want {
				t.Errorf("%q in\n%s\nrenders as\n%s\nwant only %s", s, doc.md, out, doc.want)
			}
			noControls(t, "the Markdown of "+strings.ToValidUTF8(s, "?"), doc.md)
		}
	}
}

func TestMarkdownKeepsPlainText(t *testing.T) {
	for s, want := range map[string]string{
		"probe-sim: a reproducible MACA 3.0.0.5 image": "probe-sim: a reproducible MACA 3.0.0.5 image",
		"maca-sim → probe → probe-sim":                 "maca-sim → probe → probe-sim",
		"recipes/probe/probe.yaml:12:5":                "recipes/probe/probe.yaml:12:5",
		"MACA_PATH":                                    `MACA\_PATH`,
		"1. not a list":                                `1\. not a list`,
		"3.0.0.5":                                      "3.0.0.5",
	} {
		if got := Markdown(s); got != want {
			t.Errorf("Markdown(%q) = %q, want %q", s, got, want)
		}
		if out := render(t, Markdown(s)); !strings.Contains(out, strings.ReplaceAll(s, ">", "&gt;")) && !strings.Contains(out, s) {
			t.Errorf("%q renders as %s", s, out)
		}
	}
}

func TestTerminalShowsControls(t *testing.T) {
	for _, s := range hostile {
		got := Terminal(s)
		noControls(t, "Terminal", got)
		if strings.Contains(got, "\n") {
			t.Errorf("Terminal(%q) spans lines: %q", s, got)
		}
		lines := TerminalLines(s)
		noControls(t, "TerminalLines", strings.ReplaceAll(lines, "\t", " "))
		if strings.Count(lines, "\n") != strings.Count(s, "\n") {
			t.Errorf("TerminalLines(%q) = %q: the line breaks changed", s, lines)
		}
	}
	if got := Terminal("a\x1b[31mb\n\u202ec\xff"); got != `a\x1b[31mb\n\u202ec\xff` {
		t.Errorf("Terminal = %q", got)
	}
	if got := TerminalLines("C:\\temp\tx\ny"); got != "C:\\temp\tx\ny" {
		t.Errorf("TerminalLines changed plain text: %q", got)
	}
	var b bytes.Buffer
	if _, err := Fprintf(&b, "%s: %v (%d)\n", "name\x1b[2J", errString("err\nfake line"), 3); err != nil {
		t.Fatal(err)
	}
	if b.String() != "name\\x1b[2J: err\\nfake line (3)\n" {
		t.Errorf("Fprintf wrote %q", b.String())
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := Writer(&b)
	in := "smoke: [1/2] \x1b]0;pwned\x07name\u202e\n"
	if n, err := io.WriteString(w, in); err != nil || n != len(in) {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if b.String() != "smoke: [1/2] \\x1b]0;pwned\\x07name\\u202e\n" {
		t.Errorf("Writer passed %q", b.String())
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://example.com/a_b":           "https://example.com/a_b",
		"https://example.com/a)(b c<d>":     "https://example.com/a%29%28b%20c%3Cd%3E",
		"javascript:alert(1)":               "",
		"HTTP://EXAMPLE.COM/\n[x](evil)":    "HTTP://EXAMPLE.COM/%0A%5Bx%5D%28evil%29",
		"https://example.com/é":             "https://example.com/%C3%A9",
		"ftp://example.com/x":               "",
		"https://example.com/a`b\"c'd\\e|f": "https://example.com/a%60b%22c%27d%5Ce%7Cf",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
