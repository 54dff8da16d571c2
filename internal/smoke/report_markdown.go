package smoke

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"
)

// WriteMarkdown writes the report as GitHub-flavoured Markdown for a pull
// request comment: a heading with the verdict, a table of tests, tables of
// the comparisons and benchmarks against the reference, and a folded details
// section per test that did not pass.
func WriteMarkdown(w io.Writer, r *Report) error {
	return writeMarkdown(w, r, "")
}

// writeMarkdown is WriteMarkdown with the benchmark chart linked, when
// chart names the SVG file written beside the report (GitHub strips SVG
// inside Markdown, so the chart is a file of its own).
func writeMarkdown(w io.Writer, r *Report, chart string) error {
	bw := bufio.NewWriter(w)
	verdict, icon := "passed", "✅"
	if !r.OK() {
		verdict, icon = "failed", "❌"
	}
	fmt.Fprintf(bw, "### %s macabox smoke tests: %s %s\n\n", icon, mdText(r.Target), verdict)
	fmt.Fprintf(bw, "Image %s%s · run %s · %s · %s · device: %s\n\n",
		mdCode(r.Image), mdText(simulatedNote(r)), mdCode(r.RunID), summaryText(r.Summary()), RoundDuration(r.Duration), mdText(deviceText(r.Device)))
	if r.Incomplete != "" {
		fmt.Fprintf(bw, "> **Incomplete:** %s\n\n", mdText(r.Incomplete))
	}
	if len(r.Results) > 0 {
		bw.WriteString("| Test | Result | Time |\n| --- | --- | ---: |\n")
		for _, res := range r.Results {
			result := Icon(res.Status) + " " + string(res.Status)
			if res.Message != "" && res.Status != StatusPassed {
				result += ": " + mdCell(res.Message)
			}
			time := RoundDuration(res.Duration).String()
			if res.Status == StatusSkipped {
				time = "—"
			}
			fmt.Fprintf(bw, "| %s | %s | %s |\n", mdCell(res.Name), result, time)
		}
	}
	var against strings.Builder
	comparisons, benches := hasReferenceResults(r)
	if comparisons {
		writeComparisonTable(&against, r)
	}
	if benches {
		writeBenchTable(&against, r)
		if chart != "" {
			fmt.Fprintf(&against, "\n![Benchmarks: this run beside the reference](%s)\n", chart)
		}
	}
	bw.WriteString(against.String())
	for _, res := range r.Results {
		if res.Status == StatusPassed || res.Status == StatusSkipped {
			continue
		}
		summary := Icon(res.Status) + " " + html.EscapeString(res.Name)
		if res.Origin != "" {
			summary += " (" + html.EscapeString(res.Origin) + ")"
		}
		body := res.Explain()
		fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
		fmt.Fprintf(bw, "\n<details>\n<summary>%s</summary>\n\n%stext\n%s\n%s\n\n</details>\n", summary, fence, body, fence)
	}
	if r.Container != "" {
		fmt.Fprintf(bw, "\nKept container %s.\n", mdCode(r.Container))
	}
	return bw.Flush()
}

// Icon is the status as one emoji, for Markdown tables.
func Icon(s Status) string {
	switch s {
	case StatusPassed:
		return "✅"
	case StatusFailed:
		return "❌"
	case StatusSkipped:
		return "⏭️"
	case StatusXFail:
		return "🟡"
	}
	return "⚠️"
}

// mdText escapes text so Markdown and HTML in it show literally.
func mdText(s string) string {
	s = html.EscapeString(s)
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`)
	return r.Replace(s)
}

// mdCell is mdText on one line, for a table cell.
func mdCell(s string) string {
	return mdText(strings.Join(strings.Fields(s), " "))
}

// mdCode is an inline code span that survives backticks inside.
func mdCode(s string) string {
	if s == "" {
		return "—"
	}
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return ticks + pad + s + pad + ticks
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
