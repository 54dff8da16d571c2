package plan

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

func TestShQuoteThroughSh(t *testing.T) {
	for _, v := range append(hostile, "", "plain", "-n", "\\\\", "''''") {
		// printf's own escapes do not apply to arguments of %s.
		out, err := exec.Command("/bin/sh", "-c", `printf '%s' `+shQuote(v)).Output()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if string(out) != v {
			t.Errorf("shQuote(%q) reaches the program as %q", v, out)
		}
	}
}

func TestShQuoteGlobExpandsOnlyWildcards(t *testing.T) {
	dir := t.TempDir() + "/it's $dir"
	writeFile(t, dir+"/a.whl", "")
	writeFile(t, dir+"/b.whl", "")
	out, err := exec.Command("/bin/sh", "-c", `printf '%s\n' `+shQuoteGlob(dir+"/*.whl")+" "+shQuoteGlob(dir+"/?.txt")).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := dir + "/a.whl\n" + dir + "/b.whl\n" + dir + "/?.txt\n"
	if string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// The frontend's word expander is what ENV, ARG, LABEL, COPY, ADD, WORKDIR
// and USER values go through; quoting must undo exactly.
func TestDockerfileQuotingThroughFrontendLexer(t *testing.T) {
	lex := shell.NewLex('\\')
	env := shell.EnvsFromSlice([]string{"HOME=/root", "PATH=/bin", "x=X"})
	for _, v := range hostile {
		if got, _, err := lex.ProcessWord(dqQuote(v), env); err != nil || got != v {
			t.Errorf("dqQuote(%q) expands to %q (%v)", v, got, err)
		}
		if got, _, err := lex.ProcessWord(lexEscape(v), env); err != nil || got != v {
			t.Errorf("lexEscape(%q) expands to %q (%v)", v, got, err)
		}
	}
}

func TestShellFormOnlyWhenItReachesShUnchanged(t *testing.T) {
	for script, want := range map[string]bool{
		"echo hi":                       true,
		`echo "$A" 'b' | tr a b > /x`:   true,
		"a && b || c":                   true,
		"echo ü 中文":                     true,
		"a; b":                          false, // sh -e differs from sh -c
		"a & b":                         false,
		"a\nb":                          false,
		`ends with \`:                   false, // a line continuation
		" padded":                       false, // trimmed by the frontend
		"padded ":                       false,
		"--flag":                        false, // a RUN flag
		"+x":                            false, // an option of sh
		"-x":                            false,
		`[ -f x ] && y`:                 false, // exec form if valid JSON
		`["echo", "hi"]`:                false,
		"cat <<EOF":                     false, // a heredoc
		"":                              false,
		"tab\tinside":                   true,
		"carriage\rreturn":              false,
		"bell\a":                        false,
		string([]byte{0xff, 'x'}):       false,
		"echo $((1+2)) ${A:-x} `id` \\": false,
	} {
		if got := shellFormOK(script); got != want {
			t.Errorf("shellFormOK(%q) = %v, want %v", script, got, want)
		}
	}
}

func TestExecFormEndsShOptionsForScriptsThatLookLikeOptions(t *testing.T) {
	for _, script := range []string{"-x", "+e", "--help"} {
		if got := execForm(script); !strings.Contains(got, `"--", `) {
			t.Errorf("execForm(%q) = %s", script, got)
		}
	}
	if got := execForm("echo hi\n"); got != `["/bin/sh", "-ec", "echo hi\n"]` {
		t.Errorf("execForm = %s", got)
	}
}

func TestCheckLine(t *testing.T) {
	for v, ok := range map[string]bool{
		"plain":   true,
		"tab\tok": true,
		"ü 中文 ☃":  true,
		"a\nb":    false,
		"a\rb":    false,
		"nul\x00": false,
		"esc\x1b": false,
		"\xff":    false,
	} {
		if got := checkLine(v) == ""; got != ok {
			t.Errorf("checkLine(%q) ok = %v, want %v", v, got, ok)
		}
	}
}

// The keep helper runs for real here: it prints pins for what is installed
// and fails, naming them, for what is not.
func TestKeepScriptWithRealPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on this machine")
	}
	out, err := exec.Command(py, "-c", keepScript, "pip").Output()
	if err != nil {
		t.Fatalf("keep pip: %v", err)
	}
	if !strings.HasPrefix(string(out), "pip==") || strings.Count(string(out), "\n") != 1 {
		t.Errorf("keep pip printed %q", out)
	}
	out, err = exec.Command(py, "-c", keepScript, "pip", "no-such-distribution-macabox").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "macabox: keep: not installed: no-such-distribution-macabox") {
		t.Errorf("keep of a missing distribution: err %v, output %q", err, out)
	}
}
