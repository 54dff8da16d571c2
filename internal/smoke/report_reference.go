package smoke

import (
	"fmt"
	"strconv"
	"strings"
)

// What reports show of compare and bench tests, in every format: a line
// per comparison and per metric in text, tables in Markdown.

// comparisonLines is a comparison in words: the summary, then each field.
func comparisonLines(c *Comparison) []string {
	if c == nil {
		return nil
	}
	out := []string{"compare: " + c.Summary}
	if len(c.Fields) > 1 || (len(c.Fields) == 1 && c.Fields[0].Path != "") {
		for _, f := range c.Fields {
			mark := "ok  "
			if !f.OK {
				mark = "DIFF"
			}
			out = append(out, fmt.Sprintf("  %s %s (%s): reference %s, got %s: %s", mark, f.Path, f.Mode, f.Reference, f.Got, f.Detail))
		}
	}
	if c.Reference != "" {
		out = append(out, "reference: "+c.Reference)
	}
	return out
}

// benchLines is a benchmark in words: one line per metric.
func benchLines(b *BenchResult) []string {
	if b == nil {
		return nil
	}
	out := []string{fmt.Sprintf("bench: %d warm-up, %d measured runs", b.Warmup, b.Repeat)}
	for _, m := range b.Metrics {
		line := fmt.Sprintf("  %s: median %s, p95 %s, spread %s", m.Name, withUnit(m.Stats.Median, m.Unit), withUnit(m.Stats.P95, m.Unit), percent(m.Stats.Spread))
		if m.Reference != nil {
			line += fmt.Sprintf("; reference median %s, p95 %s", withUnit(m.Reference.Median, m.Unit), withUnit(m.Reference.P95, m.Unit))
		}
		if m.Ratio != nil {
			line += "; ratio " + ratioText(*m.Ratio, m.Better)
		}
		out = append(out, line)
	}
	if b.Reference != "" {
		out = append(out, "reference: "+b.Reference)
	}
	return out
}

// figure prints a measured value with up to four significant digits.
func figure(f float64) string {
	return strconv.FormatFloat(f, 'g', 4, 64)
}

func withUnit(f float64, unit string) string {
	if unit == "" {
		return figure(f)
	}
	return figure(f) + " " + unit
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// ratioText is a ratio with what it means for a metric whose better
// direction is known.
func ratioText(r float64, better string) string {
	s := strconv.FormatFloat(r, 'f', 2, 64) + "×"
	switch {
	case better == "higher" && r >= 1, better == "lower" && r <= 1:
		return s + " (as good or better)"
	case better == "higher", better == "lower":
		return s + " (worse)"
	}
	return s
}

// hasReferenceResults says whether any result compared or measured.
func hasReferenceResults(r *Report) (comparisons, benches bool) {
	for _, res := range r.Results {
		comparisons = comparisons || res.Comparison != nil
		benches = benches || res.Bench != nil
	}
	return comparisons, benches
}

// writeComparisonTable writes the Markdown table of every compared value.
func writeComparisonTable(b *strings.Builder, r *Report) {
	b.WriteString("\n#### Comparison with the reference\n\n")
	b.WriteString("| Test | Value | Mode | Reference | This run | Difference | Result |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	sources := map[string]bool{}
	var order []string
	for _, res := range r.Results {
		c := res.Comparison
		if c == nil {
			continue
		}
		if c.Reference != "" && !sources[c.Reference] {
			sources[c.Reference] = true
			order = append(order, c.Reference)
		}
		for _, f := range c.Fields {
			value := "output"
			if f.Path != "" {
				value = mdCode(f.Path)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(res.Name), value, f.Mode,
				mdCell(f.Reference), mdCell(f.Got), mdCell(f.Detail), okIcon(f.OK))
		}
	}
	for _, s := range order {
		fmt.Fprintf(b, "\nReference: %s\n", mdText(s))
	}
}

// writeBenchTable writes the Markdown table of every benchmark metric.
func writeBenchTable(b *strings.Builder, r *Report) {
	b.WriteString("\n#### Benchmarks\n\n")
	b.WriteString("| Test | Metric | Median | p95 | Spread | Reference median | Reference p95 | Ratio |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, res := range r.Results {
		if res.Bench == nil {
			continue
		}
		for _, m := range res.Bench.Metrics {
			refMedian, refP95, ratio := "—", "—", "—"
			if m.Reference != nil {
				refMedian, refP95 = withUnit(m.Reference.Median, m.Unit), withUnit(m.Reference.P95, m.Unit)
			}
			if m.Ratio != nil {
				ratio = ratioText(*m.Ratio, m.Better)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCell(res.Name), mdCell(m.Name),
				mdCell(withUnit(m.Stats.Median, m.Unit)), mdCell(withUnit(m.Stats.P95, m.Unit)), percent(m.Stats.Spread),
				mdCell(refMedian), mdCell(refP95), mdCell(ratio))
		}
	}
}

func okIcon(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}
