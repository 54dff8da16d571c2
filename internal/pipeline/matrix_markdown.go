package pipeline

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// ParseSummaryFlag reads --summary FORMAT=FILE: md (or markdown) or json,
// to a file or "-" for stdout.
func ParseSummaryFlag(s string) (smoke.ReportSpec, error) {
	f, path, err := smoke.ParseReportFlag(s)
	if err == nil && f != smoke.FormatMarkdown && f != smoke.FormatJSON {
		err = fmt.Errorf("summary %q: the summary is md or json", s)
	}
	return smoke.ReportSpec{Format: f, Path: path}, err
}

// writeSummary shows the Markdown table to people (errw), at the end of
// the run's log, and writes the summary where the specs ask.
func writeSummary(s *MatrixSummary, specs []smoke.ReportSpec, out, errw io.Writer) error {
	fmt.Fprintln(errw)
	if err := s.WriteMarkdown(errw); err != nil {
		return err
	}
	files := make([]smoke.ReportFile, len(specs))
	for i, spec := range specs {
		render := s.WriteMarkdown
		if spec.Format == smoke.FormatJSON {
			render = s.WriteJSON
		}
		files[i] = smoke.ReportFile{Format: spec.Format, Path: spec.Path, Render: render}
	}
	if err := smoke.WriteReportFiles(files, out); err != nil {
		return cannot("writing the matrix summary: %w", err)
	}
	return nil
}

// WriteJSON writes the summary as indented JSON.
func (s *MatrixSummary) WriteJSON(w io.Writer) error {
	data, err := escape.MarshalJSON(s)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// WriteMarkdown writes the summary as GitHub-flavoured Markdown: a heading
// with the verdict, one table row per cell (its values, build, digest and
// test counts), then what went wrong in each cell that did not pass.
func (s *MatrixSummary) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	icon := "✅"
	if !s.OK {
		icon = "❌"
	}
	fmt.Fprintf(bw, "### %s macabox %s of matrix %s: %d of %d cells passed\n\n",
		icon, escape.Markdown(s.Verb), escape.Markdown(s.Matrix), len(s.Cells)-s.failed(), len(s.Cells))
	s.writeTable(bw)
	for _, c := range s.Cells {
		if !c.OK {
			writeCellProblem(bw, c)
		}
	}
	return bw.Flush()
}

// writeTable writes one row per cell. A run that built nothing (test) or
// tested nothing (build without --test, export) leaves those columns out.
func (s *MatrixSummary) writeTable(bw *bufio.Writer) {
	built, tested := false, false
	for _, c := range s.Cells {
		built, tested = built || c.Build != nil, tested || c.Tests != nil
	}
	head, align := []string{"Cell"}, " --- |"
	for _, a := range s.Axes {
		head, align = append(head, escape.Markdown(a)), align+" --- |"
	}
	if built {
		head, align = append(head, "Build", "Digest"), align+" --- | --- |"
	}
	if tested {
		head, align = append(head, "Passed", "Failed", "Skipped", "XFail"), align+strings.Repeat(" ---: |", 4)
	}
	fmt.Fprintf(bw, "| %s | Result |\n|%s --- |\n", strings.Join(head, " | "), align)
	for _, c := range s.Cells {
		row := []string{escape.Markdown(c.Name)}
		for _, v := range c.Values {
			row = append(row, escape.MarkdownCode(v.Value))
		}
		if built {
			row = append(row, buildColumns(c.Build)...)
		}
		if tested {
			row = append(row, testColumns(c.Tests)...)
		}
		result := "✅ passed"
		if !c.OK {
			result = "❌ failed"
		}
		fmt.Fprintf(bw, "| %s |\n", strings.Join(append(row, result), " | "))
	}
}

func buildColumns(b *CellBuild) []string {
	switch {
	case b == nil:
		return []string{"—", "—"}
	case b.Status != BuildBuilt:
		return []string{"❌ " + b.Status, "—"}
	}
	digest := escape.MarkdownCode(b.ManifestDigest)
	if digest == "" {
		digest = "—"
	}
	return []string{"✅ " + b.Status, digest}
}

func testColumns(t *CellTests) []string {
	if t == nil || t.Status == TestsError || t.Status == TestsNotRun {
		return []string{"—", "—", "—", "—"}
	}
	return []string{fmt.Sprint(t.Passed), fmt.Sprint(t.Failed), fmt.Sprint(t.Skipped), fmt.Sprint(t.XFailed)}
}

// writeCellProblem says, folded, why a cell did not pass.
func writeCellProblem(w *bufio.Writer, c CellSummary) {
	var what, detail string
	switch {
	case c.Build != nil && c.Build.Status == BuildFailed:
		what, detail = "build failed", c.Build.Error
	case c.Build != nil && c.Build.Status != BuildBuilt:
		what, detail = c.Build.Status, c.Build.Error
	case c.Tests != nil && c.Tests.Status == TestsError:
		what, detail = "tests could not run", c.Tests.Error
	case c.Tests != nil && len(c.Tests.Failures) > 0:
		what = fmt.Sprintf("%d of %d tests failed", len(c.Tests.Failures), c.Tests.Total)
		var lines []string
		for _, f := range c.Tests.Failures {
			lines = append(lines, fmt.Sprintf("%s (%s): %s", f.Name, f.Origin, f.Message))
		}
		detail = strings.Join(lines, "\n")
	case c.Tests != nil:
		what, detail = "tests "+c.Tests.Status, c.Tests.Error
	}
	fmt.Fprintf(w, "\n<details>\n<summary>❌ %s: %s</summary>\n\n%s\n\n</details>\n",
		escape.HTML(c.Name), escape.HTML(what), escape.MarkdownBlock(detail))
}
