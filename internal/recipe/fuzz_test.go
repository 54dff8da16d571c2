package recipe

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fuzzLine is the exact shape of a reported problem for the fuzz file.
var fuzzLine = regexp.MustCompile(`^fuzz\.yaml:[1-9][0-9]*:[1-9][0-9]*: (field "([^"\\\n]|\\.)*": )?[^\n]+$`)

// FuzzLoad feeds arbitrary bytes to the loader and, when documents come back,
// to Validate. Neither may panic, and every problem must be one well-formed,
// positioned line.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.yaml", "testdata/invalid/*.yaml", "testdata/invalid/*/*/*.yaml", "testdata/invalid/*/*/*/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		"",
		"---\n---\n",
		"a: &a [*a]\n",
		"a: *unknown\n",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		"{a: {a: {a: {a: {a: {a: {a: {a: {a: {a: }}}}}}}}}}",
		"apiVersion: macabox/v1\nkind: Image\nname: x\nfrom: scratch\nenv: {\"\\n\": \"\\u0000\"}\n",
		"apiVersion: macabox/v1\nkind: Layer\nname: x\nsteps: [{run: \"\\x1b[2J\"}]\nsmoke: [{name: \"\\n\", run: x}]\n",
		"apiVersion: macabox/v1\nkind: Stack\nname: s\nbase: s\nlayers: [s, s]\n",
		"\xef\xbb\xbfapiVersion: macabox/v1\n",
		"\xff\xfe",
		"? [a, b]\n: c\n",
		"!!binary aGVsbG8=\n",
		"%YAML 1.1\n---\na: b\n",
		"a: !!int 0x7fffffffffffffff\n",
		"apiVersion: macabox/v1\nkind: Image\nname: x\nfrom: scratch\nsmoke: [{name: t, service: {run: x, ready: {tcp: 99999999999999999999}}}]\n",
		// Text that reaches reports and scripts: bidi controls, zero-width and
		// separator characters, a test name ending in a backslash, odd copy
		// sources.
		"apiVersion: macabox/v1\nkind: Layer\nname: \"a\\u202eb\"\ndescription: \"x\\u2066\\ny\"\nsteps: [{copy: {src: [\"f\\u200b\", \"\", \"a\\\\b\", \" s \"], dest: /x/}}]\nsmoke: [{name: \"ends in \\\\\", run: x}, {name: \"\\u2028\", run: x}]\n",
		"apiVersion: macabox/v1\nkind: Image\nname: x\nfrom: scratch\nabout: {title: \"\\U000e0001\", background: \"\\u0085\"}\nsteps: [{source: \"\\u00ad\", run: x}]\n",
		// Files that are not recipes, which only an excerpt of may be shown.
		"ghp_0123456789abcdefghijklmnopqrstuvwxyzABCD\n",
		"!ghp_0123456789abcdefghijklmnopqrstuvwxyzABCD x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Load("fuzz.yaml", data)
		checkErrors(t, err)
		if len(docs) > 0 {
			checkErrors(t, Validate(&Set{Docs: docs}, testRules).Err())
		}
	})
}

func checkErrors(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, not Errors: %v", err, err)
	}
	if len(errs) == 0 {
		t.Fatal("a non-nil error holding no problem")
	}
	for _, line := range strings.Split(errs.Error(), "\n") {
		if !fuzzLine.MatchString(line) {
			t.Fatalf("malformed problem line %q", line)
		}
	}
}

// FuzzValidateValues puts one arbitrary string into every kind of field of a
// small project, so that the value rules, reference parsing and requirement
// checks meet inputs the byte-level FuzzLoad rarely reaches.
func FuzzValidateValues(f *testing.F) {
	for _, s := range []string{"", "x", "${A}", "$$", "${", "/abs/${A}/x", "https://h/${A}", ">=3.0, <4", "==3.0.*",
		"3.0.0.5-c600u", "^ubuntu", "([", "0755", "root:root", "a b", "-x", "..", "*", "90s", "\n", "\x00", "\xff"} {
		f.Add(s)
	}
	const tmpl = `apiVersion: macabox/v1
kind: Image
name: base
from: V
platform: V
maca: {version: V, path: V}
python: {path: V, version: V}
torch: V
os: V
labels: {V: V}
args: {A: V}
env: {E: V}
runtime: {shmSize: V}
steps:
  - {run: {script: V, secrets: [V], cache: [V], network: V}}
  - {apt: [V]}
  - {dnf: {packages: [V], repos: [{name: V, baseurl: V, gpgkey: V}]}}
  - {pip: {packages: [V], python: V, index: V, extraIndex: [V], trustedHosts: [V], keep: [V], netrc: V}}
  - {git: {url: V, token: V, ref: V, commit: V, dest: V}}
  - {copy: {src: [V], dest: V, mode: V, owner: V}}
  - {download: {url: V, sha256: V, dest: V, mode: V}}
  - {workdir: V}
  - {user: V}
  - {env: {V: V}}
smoke:
  - {name: V, run: V, timeout: V, env: {V: V}, expect: {stdout: V, files: [V]}}
  - {name: f, file: V, expect: {mode: V, content: V}}
  - {name: v, variable: V, expect: {value: V}}
  - {name: s, service: {run: V, ready: {http: V}, timeout: V}, probe: V}
---
apiVersion: macabox/v1
kind: Layer
name: V
requires: {maca: V, python: V, torch: V, os: V}
stages: [{name: V, from: V, steps: [{copy: {stage: V, src: [V], dest: V}}]}]
steps: [{run: V}]
---
apiVersion: macabox/v1
kind: Stack
name: stack
base: V
layers: [V]
args: {V: V}
tags: [V]
`
	f.Fuzz(func(t *testing.T, value string) {
		src := strings.ReplaceAll(tmpl, "V", strconv.QuoteToASCII(value))
		docs, err := Load("fuzz.yaml", []byte(src))
		checkErrors(t, err)
		checkErrors(t, Validate(&Set{Docs: docs}, testRules).Err())
	})
}
