package smoke

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ANSI colours, used only when the caller says the writer is a terminal.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
)

// WriteText writes the report for people: one line per test, the explanation
// under every test that did not pass, and a closing verdict. color adds ANSI
// colours; pass true only when w is a terminal.
func WriteText(w io.Writer, r *Report, color bool) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	fmt.Fprintf(bw, "%s %s\n", paint(ansiBold, "smoke tests:"), r.Target)
	fmt.Fprintf(bw, "image %s%s · run %s · device: %s\n", r.Image, simulatedNote(r), r.RunID, deviceText(r.Device))
	if len(r.Results) > 0 {
		bw.WriteString("\n")
	}
	width := nameWidth(r.Results)
	for _, res := range r.Results {
		label, code := statusLabel(res.Status)
		fmt.Fprintf(bw, "%s %-*s", paint(code, fmt.Sprintf("%-5s", label)), width, res.Name)
		switch res.Status {
		case StatusSkipped, StatusXFail:
			fmt.Fprintf(bw, "  %s\n", res.Message)
			continue
		case StatusPassed:
			fmt.Fprintf(bw, "  %s\n", RoundDuration(res.Duration))
			// A pass against a reference still says how close it was.
			for _, l := range append(comparisonLines(res.Comparison), benchLines(res.Bench)...) {
				fmt.Fprintf(bw, "      %s\n", l)
			}
			continue
		}
		fmt.Fprintf(bw, "  %s  %s\n", RoundDuration(res.Duration), res.Message)
		for _, l := range strings.Split(res.Explain(), "\n") {
			fmt.Fprintf(bw, "      %s\n", l)
		}
	}
	bw.WriteString("\n")
	if r.Incomplete != "" {
		fmt.Fprintf(bw, "%s %s\n", paint(ansiRed, "incomplete:"), r.Incomplete)
	}
	if r.Container != "" {
		fmt.Fprintf(bw, "kept container %s (remove it with: docker rm -f %s)\n", r.Container, r.Container)
	}
	verdict, code := "PASSED", ansiGreen
	if !r.OK() {
		verdict, code = "FAILED", ansiRed
	}
	fmt.Fprintf(bw, "%s in %s: %s\n", summaryText(r.Summary()), RoundDuration(r.Duration), paint(ansiBold+code, verdict))
	return bw.Flush()
}

// simulatedNote marks a simulated image wherever the image is named.
func simulatedNote(r *Report) string {
	if r.Simulated {
		return " (SIMULATED MACA, not MetaX software)"
	}
	return ""
}

func statusLabel(s Status) (label, color string) {
	switch s {
	case StatusPassed:
		return "PASS", ansiGreen
	case StatusFailed:
		return "FAIL", ansiRed
	case StatusSkipped:
		return "SKIP", ansiYellow
	case StatusXFail:
		return "XFAIL", ansiYellow
	}
	return "ERROR", ansiRed
}

func nameWidth(results []Result) int {
	w := 0
	for _, r := range results {
		w = max(w, len([]rune(r.Name)))
	}
	return min(w, 40)
}

func deviceText(d DeviceStatus) string {
	switch {
	case d.Available:
		return "MACA device passed"
	case d.Reason != "" && d.Required:
		return "none (" + d.Reason + "; devices required)"
	case d.Reason != "":
		return "none (" + d.Reason + ")"
	case d.Required:
		return "none (devices required)"
	}
	return "none"
}

// summaryText is "5 tests: 3 passed, 1 failed, 1 skipped", leaving out zeros.
func summaryText(s Summary) string {
	parts := []string{fmt.Sprintf("%d passed", s.Passed)}
	if s.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", s.Failed))
	}
	if s.Errors > 0 {
		parts = append(parts, plural(s.Errors, "error"))
	}
	if s.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", s.Skipped))
	}
	if s.XFailed > 0 {
		parts = append(parts, plural(s.XFailed, "expected failure"))
	}
	return plural(s.Total, "test") + ": " + strings.Join(parts, ", ")
}
