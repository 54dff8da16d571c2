package smoke

import (
	"encoding/xml"
	"io"
	"strings"
	"unicode/utf8"
)

// The JUnit XML follows what Jenkins' JUnit plugin reads (the Ant junit
// schema as Jenkins extends it): one testsuite per target with the counts
// Jenkins shows, a testcase per test with classname "<target>.<recipe>" (so
// Jenkins groups a stack's tests by the recipe that defined them), failures
// and errors with a one-line message and the full explanation as body,
// skipped with its reason, and the test's output in system-out/system-err.
// The root carries no "skipped" count: Jenkins' schema has none there.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out"`
	SystemErr  *junitText      `xml:"system-err"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
	SystemErr *junitText    `xml:"system-err"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

// junitText is element text kept readable as CDATA.
type junitText struct {
	Text string `xml:",cdata"`
}

func junitTextOf(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{Text: xmlSafe(s)}
}

// xmlSafe replaces what XML 1.0 cannot hold at all, even escaped; CDATA is
// not escaped, so this is the only guard.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD,
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return utf8.RuneError
	}, s)
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the report as JUnit XML for Jenkins and other CI systems.
func WriteJUnit(w io.Writer, r *Report) error {
	s := r.Summary()
	suite := junitSuite{
		Name: r.Target, Tests: s.Total, Failures: s.Failed, Errors: s.Errors, Skipped: s.Skipped + s.XFailed,
		Time: seconds(r.Duration),
		// Jenkins' schema wants a local date-time without zone; it is UTC.
		Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{Name: "image", Value: r.Image + simulatedNote(r)},
			{Name: "runId", Value: r.RunID},
			{Name: "device", Value: deviceText(r.Device)},
		},
	}
	var notes []string
	if r.Container != "" {
		notes = append(notes, "kept container "+r.Container)
	}
	suite.SystemOut = junitTextOf(strings.Join(notes, "\n"))
	if r.Incomplete != "" {
		suite.SystemErr = junitTextOf("incomplete: " + r.Incomplete)
	}
	for _, res := range r.Results {
		suite.Cases = append(suite.Cases, junitCaseOf(r.Target, res))
	}
	doc := junitSuites{
		Name: "macabox smoke tests", Tests: s.Total, Failures: s.Failed, Errors: s.Errors,
		Time: seconds(r.Duration), Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitCaseOf(target string, res Result) junitCase {
	classname := target
	if res.Recipe != "" {
		classname += "." + res.Recipe
	}
	c := junitCase{Name: res.Name, Classname: classname, Time: seconds(res.Duration)}
	switch res.Status {
	case StatusFailed:
		c.Failure = &junitProblem{Message: res.Message, Type: "failed", Body: xmlSafe(res.Explain())}
	case StatusError:
		c.Error = &junitProblem{Message: res.Message, Type: "error", Body: xmlSafe(res.Explain())}
	case StatusSkipped, StatusXFail:
		// JUnit has no expected failures; like pytest, report them as
		// skipped with the reason, so no CI counts them as passes.
		c.Skipped = &junitSkipped{Message: res.Message}
	}
	var out []string
	if res.Origin != "" {
		out = append(out, "defined at "+res.Origin)
	}
	if res.Stdout.Text != "" {
		out = append(out, res.Stdout.Text)
	}
	if res.ServiceLog.Text != "" {
		out = append(out, "service log:\n"+res.ServiceLog.Text)
	}
	c.SystemOut = junitTextOf(strings.Join(out, "\n"))
	c.SystemErr = junitTextOf(res.Stderr.Text)
	return c
}
