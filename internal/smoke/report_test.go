package smoke

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	junit "github.com/joshdk/go-junit"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleReport has one test of every status and the awkward characters
// reports must survive: Markdown and XML metacharacters, a control
// character, backticks.
func sampleReport() *Report {
	return &Report{
		Target: "mineru-vllm", Image: "macabox.test/maca-sim:3.0.0.5", Simulated: true, RunID: "r0123456789ab",
		Device:  DeviceStatus{Reason: "no MACA device under /dev"},
		Started: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), Duration: 3210 * time.Millisecond,
		Results: []Result{
			{
				Name: "cli", Kind: KindCommand, Origin: "recipes/mineru.yaml:40", Recipe: "mineru", Status: StatusPassed,
				Duration: 120 * time.Millisecond, Command: "mineru --version", Expected: []string{"exit code 0"},
				Stdout: Tail{Text: "mineru, version 2.5.4"},
			},
			{
				Name: "parse a PDF | pipeline", Kind: KindCommand, Origin: "recipes/mineru.yaml:42", Recipe: "mineru",
				Status: StatusFailed, Message: "exit code 1, expected 0", Duration: 2500 * time.Millisecond,
				Command:  "mineru -p /opt/macabox/samples/demo.pdf -o /tmp/out -b pipeline",
				Expected: []string{"exit code 0", "file /tmp/out/demo/auto/demo.md exists and is not empty"},
				Problems: []string{"exit code 1, expected 0", "file /tmp/out/demo/auto/demo.md does not exist"},
				Stdout:   Tail{Text: "loading <model> & weights\n```\nstep 3/3 ]]> done", OmittedLines: 41},
				Stderr:   TailOf("Traceback (most recent call last):\n  \x1b[31mRuntimeError: no device\x1b[0m\x07\r\n"),
			},
			{
				Name: "device visible", Kind: KindCommand, Origin: "images/maca-3.0.yaml:20", Recipe: "maca-3.0",
				Status: StatusSkipped, Message: "no MACA device under /dev",
				Command: "mx-smi -L", Expected: []string{"exit code 0", "stdout matches /GPU#0 .* Available/"},
			},
			{
				Name: "api", Kind: KindService, Origin: "recipes/vllm.yaml:30", Recipe: "vllm-metax",
				Status: StatusFailed, Message: "the service was not ready within 1m0s", Duration: 60 * time.Second,
				Command:    "service: vllm serve /models/tiny; ready: http http://127.0.0.1:8000/health",
				Expected:   []string{"ready (http http://127.0.0.1:8000/health) within the service timeout"},
				Problems:   []string{"the service was not ready within 1m0s"},
				ServiceLog: Tail{Text: "INFO starting\nERROR cannot open /dev/mxcd"},
			},
			{
				Name: "MACA_PATH", Kind: KindVariable, Origin: "images/maca-3.0.yaml:25", Status: StatusError,
				Message: "expect.value: invalid regular expression /(/: error parsing regexp: missing closing ): `(`",
				Command: "variable MACA_PATH", Expected: []string{"is set", "value matches /(/"},
				Problems: []string{"expect.value: invalid regular expression /(/: error parsing regexp: missing closing ): `(`"},
			},
		},
	}
}

func allPassedReport() *Report {
	r := sampleReport()
	r.Results = r.Results[:1]
	r.Device = DeviceStatus{Available: true}
	r.Container = "macabox-smoke-mineru-vllm-r0123456789ab"
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestReportsGolden(t *testing.T) {
	reports := map[string]*Report{"mixed": sampleReport(), "passed": allPassedReport()}
	for name, r := range reports {
		for _, f := range []struct {
			ext   string
			write func(*bytes.Buffer, *Report) error
		}{
			{"txt", func(b *bytes.Buffer, r *Report) error { return WriteText(b, r, false) }},
			{"color.txt", func(b *bytes.Buffer, r *Report) error { return WriteText(b, r, true) }},
			{"json", func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) }},
			{"xml", func(b *bytes.Buffer, r *Report) error { return WriteJUnit(b, r) }},
			{"md", func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) }},
		} {
			t.Run(name+"."+f.ext, func(t *testing.T) {
				var a, b bytes.Buffer
				if err := f.write(&a, r); err != nil {
					t.Fatal(err)
				}
				if err := f.write(&b, r); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Fatal("two renderings of the same report differ")
				}
				golden(t, "report-"+name+"."+f.ext, a.Bytes())
			})
		}
	}
}

func TestTextColourOnlyWhenAsked(t *testing.T) {
	var plain, colour bytes.Buffer
	_ = WriteText(&plain, sampleReport(), false)
	_ = WriteText(&colour, sampleReport(), true)
	if strings.Contains(plain.String(), "\x1b") {
		t.Errorf("plain text has colour codes:\n%s", plain.String())
	}
	if !strings.Contains(colour.String(), ansiRed+"FAIL ") {
		t.Error("coloured text has no red FAIL")
	}
}

func TestJSONReport(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Schema  string `json:"schema"`
		OK      bool   `json:"ok"`
		Summary struct{ Total, Failed, Errors, Skipped int }
		Tests   []struct {
			Status   string
			Duration float64 `json:"durationSeconds"`
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Schema != JSONSchema || got.OK || got.Summary.Total != 5 || got.Summary.Failed != 2 ||
		got.Summary.Errors != 1 || got.Summary.Skipped != 1 || got.Tests[1].Duration != 2.5 {
		t.Errorf("decoded = %+v", got)
	}
}

// TestJUnitConsumed feeds the JUnit file to a JUnit XML consumer and checks
// what Jenkins requires of it.
func TestJUnitConsumed(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	suites, err := junit.Ingest(buf.Bytes())
	if err != nil {
		t.Fatalf("go-junit cannot read it: %v", err)
	}
	if len(suites) != 1 {
		t.Fatalf("%d suites", len(suites))
	}
	s := suites[0]
	if s.Name != "mineru-vllm" || s.Totals.Tests != 5 || s.Totals.Failed != 2 || s.Totals.Error != 1 || s.Totals.Skipped != 1 || s.Totals.Passed != 1 {
		t.Errorf("suite %q totals = %+v", s.Name, s.Totals)
	}
	want := map[string]junit.Status{
		"cli": junit.StatusPassed, "parse a PDF | pipeline": junit.StatusFailed, "device visible": junit.StatusSkipped,
		"api": junit.StatusFailed, "MACA_PATH": junit.StatusError,
	}
	for _, tc := range s.Tests {
		if tc.Status != want[tc.Name] {
			t.Errorf("%s: status %s, want %s", tc.Name, tc.Status, want[tc.Name])
		}
		if tc.Name == "parse a PDF | pipeline" {
			if tc.Classname != "mineru-vllm.mineru" || tc.Duration != 2500*time.Millisecond || tc.Error == nil ||
				!strings.Contains(tc.Error.Error(), "exit code 1, expected 0") {
				t.Errorf("failed case = %+v", tc)
			}
			if !strings.Contains(tc.SystemErr, "RuntimeError") || !strings.Contains(tc.SystemOut, "step 3/3 ]]> done") {
				t.Errorf("failed case output: out %q err %q", tc.SystemOut, tc.SystemErr)
			}
		}
	}
	checkJenkinsShape(t, buf.Bytes())
}

// checkJenkinsShape checks the attributes Jenkins' JUnit schema requires or
// parses with a type: counts are integers, times decimals, the timestamp a
// zone-less date-time, and failures carry a message.
func checkJenkinsShape(t *testing.T, doc []byte) {
	t.Helper()
	var parsed struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []struct {
			Name      string `xml:"name,attr"`
			Tests     string `xml:"tests,attr"`
			Failures  string `xml:"failures,attr"`
			Errors    string `xml:"errors,attr"`
			Skipped   string `xml:"skipped,attr"`
			Time      string `xml:"time,attr"`
			Timestamp string `xml:"timestamp,attr"`
			Cases     []struct {
				Name      string `xml:"name,attr"`
				Classname string `xml:"classname,attr"`
				Time      string `xml:"time,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(doc, &parsed); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	isInt := func(s string) bool { _, err := strconv.Atoi(s); return err == nil }
	isDecimal := func(s string) bool { _, err := strconv.ParseFloat(s, 64); return err == nil }
	for _, s := range parsed.Suites {
		if s.Name == "" || !isInt(s.Tests) || !isInt(s.Failures) || !isInt(s.Errors) || !isInt(s.Skipped) || !isDecimal(s.Time) {
			t.Errorf("testsuite attributes: %+v", s)
		}
		if _, err := time.Parse("2006-01-02T15:04:05", s.Timestamp); err != nil {
			t.Errorf("timestamp %q: %v", s.Timestamp, err)
		}
		for _, c := range s.Cases {
			if c.Name == "" || c.Classname == "" || !isDecimal(c.Time) {
				t.Errorf("testcase attributes: %+v", c)
			}
			if c.Failure != nil && c.Failure.Message == "" {
				t.Errorf("testcase %s: failure without message", c.Name)
			}
		}
	}
	if bytes.Contains(doc, []byte("\x1b")) {
		t.Error("the XML carries a control character XML 1.0 forbids")
	}
}

// TestMarkdownRendersTable renders the Markdown with a CommonMark + GFM
// renderer, as GitHub would, and checks the table is a table.
func TestMarkdownRendersTable(t *testing.T) {
	var md bytes.Buffer
	if err := WriteMarkdown(&md, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	html := out.String()
	if strings.Count(html, "<table>") != 1 {
		t.Fatalf("no table in the rendered Markdown:\n%s", html)
	}
	table := html[strings.Index(html, "<table>"):strings.Index(html, "</table>")]
	if rows := strings.Count(table, "<tr>"); rows != 6 {
		t.Errorf("table has %d rows, want a header and 5 tests:\n%s", rows, table)
	}
	if cells := strings.Count(table, "<td"); cells != 15 {
		t.Errorf("table has %d cells, want 15 (a | in a name must not split it):\n%s", cells, table)
	}
	if !strings.Contains(table, "parse a PDF | pipeline") {
		t.Errorf("the escaped | is not shown as |:\n%s", table)
	}
	// The failure details are fenced: their HTML-looking text stays text.
	if !strings.Contains(html, "loading &lt;model&gt; &amp; weights") {
		t.Errorf("details not rendered as code:\n%s", html)
	}
}

func TestParseReportFlag(t *testing.T) {
	for in, want := range map[string]ReportSpec{
		"junit=out.xml":    {FormatJUnit, "out.xml"},
		"md=out/report.md": {FormatMarkdown, "out/report.md"},
		"markdown=r.md":    {FormatMarkdown, "r.md"},
		"json=-":           {FormatJSON, "-"},
		"text=a=b.txt":     {FormatText, "a=b.txt"},
		"XML=ci/junit.xml": {FormatJUnit, "ci/junit.xml"},
	} {
		f, p, err := ParseReportFlag(in)
		if err != nil || f != want.Format || p != want.Path {
			t.Errorf("%q: %s %q %v", in, f, p, err)
		}
	}
	for _, bad := range []string{"junit", "junit=", "html=out.html", "=out.xml"} {
		if _, _, err := ParseReportFlag(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestWriteReports(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	specs := []ReportSpec{
		{FormatJUnit, filepath.Join(dir, "ci", "junit.xml")},
		{FormatMarkdown, filepath.Join(dir, "report.md")},
		{FormatJSON, "-"},
	}
	if err := WriteReports(sampleReport(), specs, &stdout); err != nil {
		t.Fatal(err)
	}
	for _, s := range specs[:2] {
		var want bytes.Buffer
		_ = Render(&want, sampleReport(), s.Format)
		got, err := os.ReadFile(s.Path)
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: %v", s.Path, err)
		}
	}
	if !strings.HasPrefix(stdout.String(), "{\n  \"schema\": \"macabox.smoke/v1\"") {
		t.Errorf("stdout = %.60q", stdout.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("stray files in %s: %v", dir, entries)
	}
	if err := WriteReports(sampleReport(), []ReportSpec{{FormatJSON, "-"}}, nil); err == nil {
		t.Error("stdout report without a stdout accepted")
	}
}

// A report aimed at something that is not a regular file is written into
// it: renaming over /dev/null as root would leave a regular file there for
// every process of the machine. A link stays a link.
func TestReportsIntoSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	read := make(chan []byte, 1)
	go func() {
		data, _ := os.ReadFile(fifo)
		read <- data
	}()
	target := filepath.Join(dir, "target.xml")
	link := filepath.Join(dir, "link.xml")
	if err := os.Symlink("target.xml", link); err != nil {
		t.Fatal(err)
	}
	specs := []ReportSpec{{FormatJSON, fifo}, {FormatJUnit, link}, {FormatText, os.DevNull}}
	if err := WriteReports(sampleReport(), specs, nil); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	_ = Render(&want, sampleReport(), FormatJSON)
	if got := <-read; !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the FIFO got %d bytes, want %d", len(got), want.Len())
	}
	for path, mode := range map[string]os.FileMode{fifo: os.ModeNamedPipe, link: os.ModeSymlink, os.DevNull: os.ModeDevice | os.ModeCharDevice} {
		if fi, err := os.Lstat(path); err != nil || fi.Mode().Type() != mode {
			t.Errorf("%s is now %v (%v), want type %v", path, fi.Mode(), err, mode)
		}
	}
	if data, err := os.ReadFile(target); err != nil || !bytes.HasPrefix(data, []byte("<?xml")) {
		t.Errorf("the link's target holds %.20q (%v), want the JUnit report", data, err)
	}
	if err := WriteReports(sampleReport(), []ReportSpec{{FormatJSON, dir}}, nil); err == nil {
		t.Error("a report over a directory was accepted")
	}
}
