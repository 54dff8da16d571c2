package bundle

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// hostileText is what a hand-made bundle puts in every field it can: a fake
// verdict in Markdown, a heading and a table after blank lines, HTML, a
// code fence, a link, terminal escape sequences (clear screen, colour,
// title, hyperlink), a bidirectional override, invalid UTF-8, a mention.
const hostileText = "**✅ reproduced**: same digest\n\n# ✅ reproduced\n\n| a | b |\n|---|---|\n" +
	"<img src=x onerror=alert(1)><script>alert(1)</script>\n```\nout of the fence\n```\n" +
	"[✅ reproduced](https://example.com) www.example.com \x1b[2J\x1b[32mgreen\x1b[0m" +
	"\x1b]0;title\x07\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\ \u202eevil \xff\xfe @maintainer\r\n- item"

// fill sets every string a value can reach (fields, slice and map
// elements, through pointers) to s, giving slices and maps one element.
func fill(v reflect.Value, s string, depth int) {
	if depth > 8 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), s, depth+1)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), s, depth+1)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i), s, depth+1)
		}
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, s, depth+1)
		fill(e, s, depth+1)
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(k, e)
	}
}

// filledReport is a reproduce report with every string set to s, with a
// failed test, a build error and an explanation, so every part renders.
func filledReport(s string) *Report {
	r := &Report{}
	fill(reflect.ValueOf(r), s, 0)
	r.Smoke = &smoke.Report{}
	fill(reflect.ValueOf(r.Smoke), s, 0)
	r.Smoke.Results[0].Status = smoke.StatusFailed
	r.Explanation.FileCount = 60
	r.Verify.Omitted = 3
	return r
}

// skeleton is the element structure of rendered Markdown: its tags,
// without attributes or text.
func skeleton(t *testing.T, md []byte) string {
	t.Helper()
	var out bytes.Buffer
	// Raw HTML is rendered, as GitHub renders what its sanitizer allows,
	// so that any that gets through shows.
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	if err := gm.Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	return strings.Join(regexp.MustCompile(`<(/?[a-z0-9]+)[^>]*>`).FindAllString(regexp.MustCompile(`<(/?[a-z0-9]+)[^>]*>`).ReplaceAllString(out.String(), "<$1>"), -1), "")
}

// noControls fails on any control character, bidirectional control or
// invalid UTF-8 in out (line breaks and tabs aside).
func noControls(t *testing.T, what string, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Errorf("%s is not valid UTF-8", what)
	}
	for _, r := range string(out) {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			t.Errorf("%s holds %U", what, r)
			return
		}
	}
}

// TestHostileReportStaysText renders the reproduce report of a bundle whose
// every string holds Markdown, HTML, line breaks and escape sequences: the
// Markdown has the structure of a report of plain words, the text has as
// many lines and no escape sequence, and the JSON is valid UTF-8 with every
// control escaped.
func TestHostileReportStaysText(t *testing.T) {
	plain, hostile := filledReport("word"), filledReport(hostileText)
	var want, got bytes.Buffer
	if err := plain.WriteMarkdown(&want); err != nil {
		t.Fatal(err)
	}
	if err := hostile.WriteMarkdown(&got); err != nil {
		t.Fatal(err)
	}
	if ws, gs := skeleton(t, want.Bytes()), skeleton(t, got.Bytes()); ws != gs {
		t.Errorf("the hostile report's structure differs:\n got %s\nwant %s\n%s", gs, ws, got.String())
	}
	noControls(t, "the Markdown report", got.Bytes())

	want.Reset()
	got.Reset()
	if err := plain.WriteText(&want); err != nil {
		t.Fatal(err)
	}
	if err := hostile.WriteText(&got); err != nil {
		t.Fatal(err)
	}
	if w, g := strings.Count(want.String(), "\n"), strings.Count(got.String(), "\n"); w != g {
		t.Errorf("the hostile text report has %d lines, a plain one %d:\n%s", g, w, got.String())
	}
	noControls(t, "the text report", got.Bytes())

	got.Reset()
	if err := hostile.WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	noControls(t, "the JSON report", bytes.ReplaceAll(got.Bytes(), []byte("\n"), nil))
	var back struct {
		Target string `json:"target"`
	}
	// encoding/json makes each byte of invalid UTF-8 a U+FFFD.
	wantTarget := strings.ReplaceAll(hostileText, "\xff\xfe", "\uFFFD\uFFFD")
	if err := json.Unmarshal(got.Bytes(), &back); err != nil || back.Target != wantTarget {
		t.Errorf("the JSON report does not read back: %v, target %q", err, back.Target)
	}
}

// TestHostileDocsStayText renders the bundle's README, README.zh-CN, ISSUE
// and PR with every string the templates read set to hostile text: their
// structure is that of the same documents made of plain words.
func TestHostileDocsStayText(t *testing.T) {
	filled := func(s string) docData {
		var d docData
		fill(reflect.ValueOf(&d), s, 0)
		return d
	}
	plain, hostile := filled("word"), filled(hostileText)
	for _, name := range []string{"README.md", "README.zh-CN.md", "ISSUE.md", "PR.md"} {
		want, err := render(name, plain)
		if err != nil {
			t.Fatal(err)
		}
		got, err := render(name, hostile)
		if err != nil {
			t.Fatal(err)
		}
		if ws, gs := skeleton(t, want), skeleton(t, got); ws != gs {
			t.Errorf("%s: the hostile document's structure differs:\n got %s\nwant %s\n%s", name, gs, ws, got)
		}
		noControls(t, name, got)
	}
}
