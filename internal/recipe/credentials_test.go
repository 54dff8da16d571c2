package recipe

import (
	"strings"
	"testing"
)

func TestURLCredentials(t *testing.T) {
	for s, want := range map[string]string{
		"https://example.org/x":                 "",
		"https://user:tok@example.org/x":        "https://user:tok@",
		"https://TOKEN@github.com/o/r.git":      "https://TOKEN@",
		"git+https://u@h/p":                     "git+https://u@",
		"ftp://anon@h/":                         "ftp://anon@",
		"ssh://git@github.com/o/r.git":          "",
		"ssh://git:pw@github.com/o/r.git":       "ssh://git:pw@",
		"see https://h/a and http://u:p@h/b":    "http://u:p@",
		"mailto:someone@example.org":            "",
		"https://h/path@v1":                     "",
		"https://u:${TOKEN}@example.org/simple": "https://u:${TOKEN}@",
	} {
		if got := URLCredentials(s); got != want {
			t.Errorf("URLCredentials(%q) = %q, want %q", s, got, want)
		}
	}
}

// Credentials written into a recipe are refused where they are written, with
// the secret to use instead.
func TestCredentialsAreRefused(t *testing.T) {
	src := `apiVersion: macabox/v1
kind: Image
name: base
from: scratch
args: {MIRROR: "https://u:p@mirror.example.org/", PW: x}
env: {PROXY: "http://user:pw@proxy:3128"}
steps:
  - git: {url: "https://TOKEN@github.com/o/r.git", dest: /src}
  - git: {url: "ssh://git@github.com/o/r.git", dest: /src2, token: gittoken}
  - git: {url: "https://github.com/o/r.git", dest: /src3, token: gittoken}
  - pip: {packages: [x], index: "https://u:${PW}@pypi.example.org/simple", netrc: pipnetrc}
  - download: {url: "https://u:p@dl.example.org/x", sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, dest: /x}
`
	docs, err := Load("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := Validate(&Set{Docs: docs}, testRules).Error()
	for _, want := range []string{
		`c.yaml:5:16: field "MIRROR": "https://u:p@" carries credentials`,
		`c.yaml:6:14: field "PROXY": "http://user:pw@" carries credentials`,
		`c.yaml:8:16: field "url": "https://TOKEN@" carries credentials, which would be stored in the plan, the image and every bundle; put the token in a build secret instead: token: gittoken in the git step, and --secret id=gittoken,env=GIT_TOKEN when building`,
		`c.yaml:9:68: field "token": git sends a token over http(s) only`,
		`c.yaml:11:33: field "index": "https://u:${PW}@" carries credentials`,
		"netrc: pipnetrc in the pip step, and --secret id=pipnetrc,src=$HOME/.netrc when building",
		`c.yaml:12:21: field "url": "https://u:p@" carries credentials`,
		"--secret id=ID,env=VAR",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n") + 1; n != 6 {
		t.Errorf("%d problems, want 6:\n%s", n, got)
	}
}
