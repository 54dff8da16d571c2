package smokesh

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

func TestToERE(t *testing.T) {
	cases := []struct {
		re, ere string
		first   bool
	}{
		{`^macabox-demo 0\.1\.0`, `^macabox-demo 0\.1\.0`, false},
		{`^3\.0\.0\.5\s*$`, `^3\.0\.0\.5[[:space:]]*$`, false},
		{`(?m)^maca 3\.0\.0\.5 at /opt/maca`, `^maca 3\.0\.0\.5 at /opt/maca`, false},
		{`\AVersion:\s*3\.0\.0\.5(\s|-|$)`, `^Version:[[:space:]]*3\.0\.0\.5([[:space:]-]|$)`, true},
		{`^2\.6\.\d+\+metax3\.0\.`, `^2\.6\.[0-9]+\+metax3\.0\.`, false},
		{`"maca_version": "3\.0\.0\.5"`, `"maca_version": "3\.0\.0\.5"`, false},
		{`GPUs: [1-9]`, `GPUs: [1-9]`, false},
		{`(?m)^GPU#0\s.*\bAvailable`, `^GPU#0[[:space:]].*\bAvailable`, false},
		{`^[1-9][0-9]* .*\S`, `^[1-9][0-9]* .*[^[:space:]]`, false},
		{`a(?:b|c)+?d{2,3}`, `a[bc]+d{2,3}`, false},
		{`a(?:bc|de)*`, `a(bc|de)*`, false},
		{`x\w+y\W`, `x[0-9A-Z_a-z]+y[^0-9A-Z_a-z]`, false},
		{`(?i)ok`, `[Oo][Kk]`, false},
		{`[\]\-^\[]`, `[]^[-]`, false},
		{`[^"]+`, `[^"]+`, false},
		{`\^`, `\^`, false},
		{`[\^]`, `\^`, false},
		{`a|b`, `[ab]`, false},
		{`ab|cd`, `ab|cd`, false},
		{`x(ab|cd)`, `x(ab|cd)`, false},
		{`(?P<v>\d+)\.x`, `([0-9]+)\.x`, false},
		{`\{\}\(\)\|`, `\{\}\(\)\|`, false},
		{`é+`, `(é)+`, false},
		{`\/\-`, `/-`, false},
	}
	for _, c := range cases {
		got, err := toERE(c.re)
		if err != nil {
			t.Errorf("toERE(%q): %v", c.re, err)
			continue
		}
		if got.ERE != c.ere || got.FirstLine != c.first {
			t.Errorf("toERE(%q) = %q first=%v, want %q first=%v", c.re, got.ERE, got.FirstLine, c.ere, c.first)
		}
	}
}

func TestToERERefuses(t *testing.T) {
	for re, why := range map[string]string{
		`a\nb`:               "line break",
		`(?s)a.b`:            "(?s)",
		`done\z`:             `\z`,
		`x\Ay`:               `\A`,
		`[α-ω]`:              "non-ASCII",
		`a{300}`:             "255",
		`[\n]`:               "line break",
		`\pL`:                "non-ASCII",
		`(`:                  "invalid",
		`[^\x00-\x{10FFFF}]`: "never match",
	} {
		_, err := toERE(re)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("toERE(%q) = %v, want an error about %q", re, err, why)
		}
	}
}

// TestToEREAgreesWithGrep runs the translations through the grep smoke.sh
// uses, line by line as it does, against Go's multi-line matching.
func TestToEREAgreesWithGrep(t *testing.T) {
	grep, err := exec.LookPath("grep")
	if err != nil {
		t.Fatalf("grep: %v", err)
	}
	patterns := []string{
		`^3\.0\.0\.5\s*$`, `\AVersion:\s*3\.0\.0\.5(\s|-|$)`, `^2\.6\.\d+\+metax3\.0\.`,
		`(?m)^GPU#0\s.*\bAvailable`, `Not Available`, `^[1-9][0-9]* .*\S`, `(?i)error`,
		`^$`, `x*`, `a(?:b|c)+?d{2,3}`, `[\]\-^\[]`, `\w+=\d`, `\bend\b`,
	}
	texts := []string{
		"", "\n", "3.0.0.5\n", "3.0.0.5  ", "Version: 3.0.0.5\n", "x\nVersion:3.0.0.5-c\n",
		"2.6.0+metax3.0.0.5\n", "GPU#0 C500 Available\n", "GPU#0 C500 Not Available\n",
		"1 MetaX C500\n", "12 \n", "an ERROR here", "abd", "acbdd\n", "x]y", "-", "A=1\n", "the end.",
		"first\n\nlast", "no newline at end",
	}
	for _, p := range patterns {
		gp, err := toERE(p)
		if err != nil {
			t.Fatalf("toERE(%q): %v", p, err)
		}
		re := regexp.MustCompile("(?m)" + p)
		for _, text := range texts {
			want := re.MatchString(text)
			got := grepMatches(t, grep, gp, text)
			if got != want {
				t.Errorf("pattern %q (ERE %q, first line %v) on %q: grep says %v, Go says %v", p, gp.ERE, gp.FirstLine, text, got, want)
			}
		}
	}
}

// grepMatches feeds text to grep the way smoke.sh's match function does.
func grepMatches(t *testing.T, grep string, gp grepPattern, text string) bool {
	t.Helper()
	input := text
	if gp.FirstLine {
		input, _, _ = strings.Cut(text, "\n")
		input += "\n"
	} else if text == "" || strings.HasSuffix(text, "\n") {
		input += "\n"
	}
	cmd := exec.Command(grep, "-E", "-q", "-e", gp.ERE)
	cmd.Env = []string{"LC_ALL=C"}
	cmd.Stdin = bytes.NewBufferString(input)
	err := cmd.Run()
	if err == nil {
		return true
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return false
	}
	t.Fatalf("grep -E %q: %v", gp.ERE, err)
	return false
}
