package smoke

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
)

// The benchmark chart: one group per metric, one horizontal bar for this
// run's median and one for the reference's, each group scaled to its larger
// bar, since metrics have different units. It is a standalone SVG file:
// GitHub strips SVG inside Markdown, but shows an SVG file a Markdown file
// links to (in a repository, a bundle, a pull request's files).

// Chart geometry, in SVG user units (pixels at 100%).
const (
	chartWidth  = 760
	labelWidth  = 250
	plotWidth   = 380
	barHeight   = 16
	barGap      = 4
	groupGap    = 18
	chartTop    = 58
	chartMargin = 16
)

// chartBar is one bar: which side, the median, and its length.
type chartBar struct {
	side, class string
	value       float64
	length      float64
}

// chartGroup is one metric's bars.
type chartGroup struct {
	label, unit, ratio string
	bars               []chartBar
}

// HasBenchmarks says whether r has anything to chart.
func HasBenchmarks(r *Report) bool {
	_, benches := hasReferenceResults(r)
	return benches
}

// WriteBenchChart writes the SVG chart of r's benchmarks.
func WriteBenchChart(w io.Writer, r *Report) error {
	groups := chartGroups(r)
	if len(groups) == 0 {
		return fmt.Errorf("the report of %s has no benchmarks to chart", r.Target)
	}
	groupHeight := 2*barHeight + barGap + groupGap
	height := chartTop + len(groups)*groupHeight + chartMargin
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc("macabox benchmarks of "+r.Target+": this run beside the reference (medians)"))
	b.WriteString(`<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>` + "\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", chartMargin, esc("Benchmarks of "+r.Target+" (medians)"))
	legend := func(x int, class, text string) {
		fmt.Fprintf(&b, `<rect x="%d" y="32" width="12" height="12" class="legend %s" fill="%s"/>`, x, class, sideColor(class))
		fmt.Fprintf(&b, `<text x="%d" y="43">%s</text>`+"\n", x+16, esc(text))
	}
	legend(chartMargin, "run", "this run")
	legend(chartMargin+90, "reference", "reference")
	y := chartTop
	for _, g := range groups {
		fmt.Fprintf(&b, `<g class="metric"><text x="%d" y="%d">%s</text>`, chartMargin, y+barHeight-4, esc(clip(g.label, 36)))
		for i, bar := range g.bars {
			by := y + i*(barHeight+barGap)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" class="bar %s" fill="%s"><title>%s</title></rect>`,
				labelWidth, by, bar.length, barHeight, bar.class, sideColor(bar.class), esc(bar.side+": "+withUnit(bar.value, g.unit)))
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`, float64(labelWidth)+bar.length+4, by+barHeight-4, esc(withUnit(bar.value, g.unit)))
		}
		if g.ratio != "" {
			// Under the label, where no bar or value can run into it.
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-style="italic" fill="#57606a">ratio %s</text>`, chartMargin, y+2*barHeight+barGap-4, esc(g.ratio))
		}
		b.WriteString("</g>\n")
		y += groupHeight
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// chartGroups lays out the bars of every metric of every bench test.
func chartGroups(r *Report) []chartGroup {
	var out []chartGroup
	for _, res := range r.Results {
		if res.Bench == nil {
			continue
		}
		for _, m := range res.Bench.Metrics {
			g := chartGroup{label: res.Name + " · " + m.Name, unit: m.Unit}
			g.bars = append(g.bars, chartBar{side: "this run", class: "run", value: m.Stats.Median})
			if m.Reference != nil {
				g.bars = append(g.bars, chartBar{side: "reference", class: "reference", value: m.Reference.Median})
			}
			if m.Ratio != nil {
				g.ratio = ratioText(*m.Ratio, m.Better)
			}
			longest := 0.0
			for _, bar := range g.bars {
				longest = math.Max(longest, bar.value)
			}
			for i := range g.bars {
				if longest > 0 && g.bars[i].value > 0 {
					g.bars[i].length = g.bars[i].value / longest * plotWidth
				}
			}
			out = append(out, g)
		}
	}
	return out
}

func sideColor(class string) string {
	if class == "reference" {
		return "#8c959f"
	}
	return "#2f81f7"
}

// esc escapes text for SVG character data and attributes.
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(xmlSafe(s)))
	return b.String()
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
