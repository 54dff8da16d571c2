package smoke

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/replacefile"
)

// ReportFormat is one rendering of a Report.
type ReportFormat string

const (
	FormatText     ReportFormat = "text"
	FormatJSON     ReportFormat = "json"
	FormatJUnit    ReportFormat = "junit"
	FormatMarkdown ReportFormat = "md"
	// FormatCTRF is the Common Test Report Format's JSON (ctrf-io).
	FormatCTRF ReportFormat = "ctrf"
	// FormatSVG is the benchmark chart alone.
	FormatSVG ReportFormat = "svg"
)

// ReportSpec asks for one report file: `--report junit=out.xml`.
type ReportSpec struct {
	Format ReportFormat
	// Path is the file to write; "-" means the stdout given to WriteReports.
	Path string
}

// ParseReportFlag reads FORMAT=PATH, with FORMAT one of text, json, junit
// (or xml), md (or markdown), ctrf, svg (the benchmark chart).
func ParseReportFlag(s string) (ReportFormat, string, error) {
	name, path, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return "", "", fmt.Errorf("report %q: want FORMAT=PATH, e.g. junit=smoke.xml", s)
	}
	var f ReportFormat
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "text", "txt":
		f = FormatText
	case "json":
		f = FormatJSON
	case "junit", "xml":
		f = FormatJUnit
	case "md", "markdown":
		f = FormatMarkdown
	case "ctrf":
		f = FormatCTRF
	case "svg":
		f = FormatSVG
	default:
		return "", "", fmt.Errorf("report %q: unknown format %q (want text, json, junit, md, ctrf or svg)", s, name)
	}
	return f, path, nil
}

// Render writes the report in one format. Text is never coloured here: files
// are not terminals.
func Render(w io.Writer, r *Report, f ReportFormat) error {
	switch f {
	case FormatText:
		return WriteText(w, r, false)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatJUnit:
		return WriteJUnit(w, r)
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	case FormatCTRF:
		return WriteCTRF(w, r)
	case FormatSVG:
		return WriteBenchChart(w, r)
	}
	return fmt.Errorf("unknown report format %q", f)
}

// WriteReports writes every requested report of r. See WriteReportFiles.
// A Markdown report written to a file, of a run with benchmarks, gets its
// chart beside it (ChartName) and links it.
func WriteReports(r *Report, specs []ReportSpec, stdout io.Writer) error {
	files := make([]ReportFile, 0, len(specs))
	for _, s := range specs {
		f := s.Format
		if f == FormatMarkdown && s.Path != "-" && HasBenchmarks(r) {
			chart := ChartName(s.Path)
			files = append(files,
				ReportFile{Format: FormatSVG, Path: chart, Render: func(w io.Writer) error { return WriteBenchChart(w, r) }},
				ReportFile{Format: f, Path: s.Path, Render: func(w io.Writer) error { return writeMarkdown(w, r, filepath.Base(chart)) }})
			continue
		}
		files = append(files, ReportFile{Format: f, Path: s.Path, Render: func(w io.Writer) error { return Render(w, r, f) }})
	}
	return WriteReportFiles(files, stdout)
}

// ChartName is the file the benchmark chart of a Markdown report at mdPath
// goes to: beside it, so that the Markdown can link it by its name.
func ChartName(mdPath string) string {
	return strings.TrimSuffix(mdPath, filepath.Ext(mdPath)) + ".bench.svg"
}

// ReportFile is one report to write: its format (for messages), where to,
// and how to render it.
type ReportFile struct {
	Format ReportFormat
	// Path is a file, or "-" for stdout.
	Path   string
	Render func(io.Writer) error
}

// WriteReportFiles writes reports. Files are replaced whole (written beside,
// then renamed, in a directory made when missing), so a reader never sees
// half a report; a path of "-" goes to stdout. All reports are attempted;
// the errors are joined. Every report macabox writes goes through here.
func WriteReportFiles(files []ReportFile, stdout io.Writer) error {
	var errs []error
	for _, s := range files {
		var buf bytes.Buffer
		if err := s.Render(&buf); err != nil {
			errs = append(errs, fmt.Errorf("rendering the %s report: %w", s.Format, err))
			continue
		}
		if s.Path == "-" {
			if stdout == nil {
				errs = append(errs, fmt.Errorf("the %s report goes to stdout, but there is none", s.Format))
				continue
			}
			if _, err := stdout.Write(buf.Bytes()); err != nil {
				errs = append(errs, fmt.Errorf("writing the %s report: %w", s.Format, err))
			}
			continue
		}
		if err := replacefile.Write(s.Path, buf.Bytes(), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("writing the %s report: %w", s.Format, err))
		}
	}
	return errors.Join(errs...)
}
