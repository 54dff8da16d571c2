package smoke

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Output tails are what a person reads in a report: the end of the output is
// where errors are, and a report pasted into a PR must stay short.
const (
	tailLines = 30
	tailBytes = 4096
)

// TailOf keeps the last lines of s, at most tailLines lines and about
// tailBytes bytes, as plain text (see cleanText).
func TailOf(s string) Tail {
	return tailOf(cleanText(s), tailLines, tailBytes)
}

// ansiEscape matches terminal escape sequences: CSI (colours, cursor moves)
// and OSC (titles, links).
var ansiEscape = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]`)

// cleanText makes program output fit for reports read anywhere: colours and
// cursor codes go, a carriage return (progress bars) starts a new line, and
// other control characters and invalid UTF-8 become U+FFFD.
func cleanText(s string) string {
	s = ansiEscape.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			return utf8.RuneError
		}
		return r
	}, s)
}

func tailOf(s string, maxLines, maxBytes int) Tail {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return Tail{}
	}
	lines := strings.Split(s, "\n")
	omitted := 0
	if len(lines) > maxLines {
		omitted = len(lines) - maxLines
		lines = lines[omitted:]
	}
	// Drop whole lines from the front while too long, but keep at least one.
	size := len(strings.Join(lines, "\n"))
	for len(lines) > 1 && size > maxBytes {
		size -= len(lines[0]) + 1
		lines = lines[1:]
		omitted++
	}
	text := strings.Join(lines, "\n")
	if len(text) > maxBytes {
		cut := len(text) - maxBytes
		for cut < len(text) && !utf8.RuneStart(text[cut]) {
			cut++
		}
		text = "…" + text[cut:]
	}
	return Tail{Text: text, OmittedLines: omitted}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// RoundDuration keeps reports readable and stable: milliseconds under a
// minute, tenths of a second above.
func RoundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// seconds renders a duration as seconds with millisecond precision, the unit
// JUnit and the JSON report use.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Round(time.Millisecond).Seconds(), 'f', 3, 64)
}
