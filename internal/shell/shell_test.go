package shell_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
	"github.com/ccf-ai-infra/macabox/internal/shell"
)

var awkwardArgs = []string{
	"plain", "", "with space", "two  spaces", "it's", `"double"`, `back\slash`, "$HOME", "${PATH}",
	"`id`", "$(id)", "a\nb", "tab\there", "中文 ü é", "!bang", "!!", "*", "?", "[a]", "~", "~root",
	"#not a comment", "a;b", "a&&b", "a|b", "<in", ">out", "{a,b}", "'", "''", `'\''`,
	"--ulimit=memlock=8388608", "--device=/dev/mxcd:/dev/mxcd:rwm", "-e", "CUDA_VISIBLE_DEVICES=0,1",
	"trailing\n", "%s", "a=b", `ends\`, `a\'b`, `\\`,
}

// runShell runs line with shell -c, where line's command is printf
// '%s\0' ..., and returns the arguments the shell passed to printf.
func runShell(t *testing.T, sh, line string) []string {
	t.Helper()
	path, err := exec.LookPath(sh)
	if err != nil {
		t.Skipf("%s not installed", sh)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(path, "-c", line)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s -c %s: %v: %s", sh, line, err, stderr.String())
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

func TestJoinSurvivesTheShell(t *testing.T) {
	for _, sh := range []string{"bash", "sh", "dash"} {
		t.Run(sh, func(t *testing.T) {
			line := shell.Join(append([]string{"printf", `%s\0`}, awkwardArgs...))
			if got := runShell(t, sh, line); !reflect.DeepEqual(got, awkwardArgs) {
				t.Errorf("%s split\n%s\ninto %q\nwant %q", sh, line, got, awkwardArgs)
			}
		})
	}
}

func TestJoinEachArgAlone(t *testing.T) {
	for _, arg := range awkwardArgs {
		line := shell.Join([]string{"printf", `%s\0`, arg})
		if got := runShell(t, "bash", line); len(got) != 1 || got[0] != arg {
			t.Errorf("bash turned %q (%s) into %q", arg, line, got)
		}
	}
}

func TestWordKeepsPlainWordsBare(t *testing.T) {
	for in, want := range map[string]string{
		"docker":                  "docker",
		"--shm-size=8g":           "--shm-size=8g",
		"/tmp/dev/mxcd:/dev/mxcd": "/tmp/dev/mxcd:/dev/mxcd",
		"":                        "''",
		"a b":                     "'a b'",
		"it's":                    `'it'\''s'`,
	} {
		if got := shell.Word(in); got != want {
			t.Errorf("Word(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestJoinQuotesAssignmentLikeCommand(t *testing.T) {
	// Bare, bash would set a variable and run "echo"; quoted, it looks
	// for a command named "A=b" and fails.
	line := shell.Join([]string{"A=b", "echo"})
	if line != "'A=b' echo" {
		t.Errorf("Join = %s, want 'A=b' echo", line)
	}
	if err := exec.Command("bash", "-c", line).Run(); err == nil {
		t.Errorf("bash ran %s as an assignment", line)
	}
}

func TestJoinDockerRunLine(t *testing.T) {
	argv := append([]string{"docker", "run", "--rm"}, device.Spec{
		Devices: []device.DeviceMapping{{PathOnHost: "/tmp/my dev/mxcd", PathInContainer: "/dev/mxcd", CgroupPermissions: "rwm"}},
		Env:     []string{"NOTE=it's $5 ☺"},
	}.DockerRunArgs()...)
	argv = append(argv, "image:tag", "sh", "-c", `echo "$HOME" && ls /dev`)
	line := shell.Join(argv)
	// Run the same words through printf instead of docker.
	got := runShell(t, "bash", "printf '%s\\0' "+strings.TrimPrefix(line, "docker "))
	if !reflect.DeepEqual(got, argv[1:]) {
		t.Errorf("bash split %s\ninto %q\nwant %q", line, got, argv[1:])
	}
}

// TestQuotedScriptPassesShellcheck: every generated script is checked with
// shellcheck in CI, so a quoted value must never trip it, and must still
// reach the command unchanged.
func TestQuotedScriptPassesShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatalf("shellcheck is needed (make test installs it): %v", err)
	}
	// SC2016 is off as in every generated script: $ in single quotes is meant.
	script := "#!/bin/sh\n# shellcheck disable=SC2016\nprintf '%s\\0' " + shell.QuoteAll(awkwardArgs) + "\n"
	path := filepath.Join(t.TempDir(), "quoted.sh")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sc, path).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	if got := runShell(t, "sh", ". "+shell.Word(path)); !reflect.DeepEqual(got, awkwardArgs) {
		t.Errorf("sh read the script's arguments as %q\nwant %q", got, awkwardArgs)
	}
}

// TestCommentCannotEndItself: whatever the text (a file name with a line
// break, a carriage return, Unicode line and paragraph separators), every
// line Comment writes is a comment, so no part of the text runs.
func TestCommentCannotEndItself(t *testing.T) {
	for _, text := range []string{
		"recipes/a\ntouch PWNED #.yaml:3",
		"a\rtouch PWNED",
		"a\u2028touch PWNED\u2029b\u0085c\vd\fe",
		strings.Repeat("long-word-", 30) + "\n\n\nrm -rf ~",
		"",
	} {
		got := shell.Comment(text)
		for i, line := range strings.Split(got, "\n") {
			if !strings.HasPrefix(line, "#") || strings.ContainsAny(line, "\r\u2028\u2029\u0085\v\f") {
				t.Errorf("Comment(%q) line %d is %q: not a plain comment line", text, i+1, line)
			}
		}
	}
}
