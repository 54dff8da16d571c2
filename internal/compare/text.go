package compare

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// compareText compares two whole outputs under a rule.
func compareText(r Rule, reference, got string) FieldOutcome {
	reference, got = normalize(reference), normalize(got)
	fo := FieldOutcome{Mode: r.Mode, Reference: short(reference), Got: short(got)}
	switch r.Mode {
	case Similarity:
		fo.OK, fo.Detail, fo.Similarity = similar(r, reference, got)
	case Numeric:
		fo.OK, fo.Detail = numericText(r, reference, got)
	default:
		fo.OK, fo.Detail = exactText(reference, got)
	}
	return fo
}

// normalize makes line ends and the final line break not count: a tool's
// Windows build, or a missing last newline, is not a different result.
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimRight(s, "\n")
}

// exactText names the first line that differs.
func exactText(reference, got string) (bool, string) {
	if reference == got {
		return true, fmt.Sprintf("identical (%s)", lineCount(reference))
	}
	rl, gl := strings.Split(reference, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(rl), len(gl)); i++ {
		r, g := lineAt(rl, i), lineAt(gl, i)
		if r != g {
			return false, fmt.Sprintf("line %d differs: reference %s, got %s", i+1, r, g)
		}
	}
	return false, "differs"
}

func lineAt(lines []string, i int) string {
	if i >= len(lines) {
		return "(no such line)"
	}
	return strconv.Quote(short(lines[i]))
}

func lineCount(s string) string {
	n := strings.Count(s, "\n") + 1
	if s == "" {
		n = 0
	}
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

// numberPattern finds the numbers in text: integers, decimals and exponent
// forms, with a sign. Both sides are read the same way, so a "-" that is
// punctuation (a date, a range) is read alike on both.
var numberPattern = regexp.MustCompile(`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`)

// numericText compares two outputs whose text is the same but for numbers,
// and whose numbers agree within the tolerance.
func numericText(r Rule, reference, got string) (bool, string) {
	rs, rn := splitNumbers(reference)
	gs, gn := splitNumbers(got)
	if rs != gs || len(rn) != len(gn) {
		ok, detail := exactText(maskNumbers(reference), maskNumbers(got))
		if !ok {
			return false, "the text around the numbers differs: " + detail + " (numbers shown as #)"
		}
		return false, fmt.Sprintf("the reference has %d numbers, the output %d", len(rn), len(gn))
	}
	worst, worstAt := -1.0, -1
	for i := range rn {
		ok, _ := within(r, rn[i].value, gn[i].value)
		if !ok {
			_, detail := within(r, rn[i].value, gn[i].value)
			return false, fmt.Sprintf("line %d, number %d: reference %s, got %s: %s",
				gn[i].line, gn[i].nth, rn[i].text, gn[i].text, detail)
		}
		if d := absDiff(rn[i].value, gn[i].value); d > worst {
			worst, worstAt = d, i
		}
	}
	if worstAt < 0 {
		return true, "no numbers; the text is identical"
	}
	return true, fmt.Sprintf("%d numbers within tolerance (largest |Δ| %s, line %d)", len(rn), num(worst), gn[worstAt].line)
}

// found is one number of an output with where it stands.
type found struct {
	text  string
	value float64
	// line is 1-based; nth counts the numbers of that line from 1.
	line, nth int
}

// splitNumbers returns the text with every number replaced by a marker,
// and the numbers in order.
func splitNumbers(s string) (string, []found) {
	var nums []found
	var b strings.Builder
	line, nth, last := 1, 0, 0
	for _, m := range numberPattern.FindAllStringIndex(s, -1) {
		between := s[last:m[0]]
		if k := strings.Count(between, "\n"); k > 0 {
			line, nth = line+k, 0
		}
		b.WriteString(between)
		b.WriteString("\x00")
		v, _ := parseFloat(s[m[0]:m[1]])
		nth++
		nums = append(nums, found{text: s[m[0]:m[1]], value: v, line: line, nth: nth})
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nums
}

func maskNumbers(s string) string { return numberPattern.ReplaceAllString(s, "#") }

func parseFloat(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func absDiff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}
