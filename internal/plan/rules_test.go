package plan

import (
	"errors"
	"fmt"
	"github.com/ccf-ai-infra/macabox/internal/device"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// ruleCase puts a value the recipe format refuses into one structured
// field: the snippet goes into the image, layer or stack document, with the
// value where "@" is.
type ruleCase struct {
	field   string // Type.key in the recipe model
	rule    func(string) error
	doc     string // image, layer or stack
	snippet string
	bad     string
}

const someSHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

var ruleCases = []ruleCase{
	{"Image.from", recipe.CheckImageRef, "image", `from: "@"`, "--privileged"},
	{"Stack.tags", recipe.CheckImageRef, "stack", `tags: ["@"]`, "--privileged"},
	{"Stage.from", recipe.CheckImageRef, "layer", "stages: [{name: s, from: \"@\", steps: [{run: \"true\"}]}]\nsteps: [{run: \"true\"}]", "--privileged"},
	{"Step.workdir", recipe.CheckAbsPath, "layer", `steps: [{workdir: "@"}]`, "relative/dir"},
	{"Step.user", recipe.CheckOwner, "layer", `steps: [{user: "@"}]`, "--privileged"},
	{"AptStep.packages", recipe.CheckPackage, "layer", `steps: [{apt: ["@"]}]`, "a b"},
	{"DnfStep.packages", recipe.CheckPackage, "layer", `steps: [{dnf: ["@"]}]`, "a b"},
	{"Repo.baseurl", recipe.CheckHTTPURL, "layer", `steps: [{dnf: {packages: [x], repos: [{name: r, baseurl: "@"}]}}]`, "file:///etc/yum"},
	{"Repo.gpgkey", recipe.CheckHTTPURL, "layer", `steps: [{dnf: {packages: [x], repos: [{name: r, baseurl: "https://h.example/", gpgkey: "@"}]}}]`, "file:///etc/key"},
	{"PipStep.packages", recipe.CheckPackage, "layer", `steps: [{pip: ["@"]}]`, "a b"},
	{"PipStep.python", recipe.CheckAbsPath, "layer", `steps: [{pip: {packages: [x], python: "@"}}]`, "python3"},
	{"PipStep.index", recipe.CheckHTTPURL, "layer", `steps: [{pip: {packages: [x], index: "@"}}]`, "file:///simple"},
	{"PipStep.extraIndex", recipe.CheckHTTPURL, "layer", `steps: [{pip: {packages: [x], extraIndex: ["@"]}}]`, "ftp://h.example/simple"},
	{"PipStep.trustedHosts", recipe.CheckHost, "layer", `steps: [{pip: {packages: [x], trustedHosts: ["@"]}}]`, "h.example/path"},
	{"PipStep.keep", recipe.CheckDist, "layer", `steps: [{pip: {packages: [x], keep: ["@"]}}]`, "torch>=2"},
	{"GitStep.url", recipe.CheckGitURL, "layer", `steps: [{git: {url: "@", dest: /src}}]`, "file:///srv/repo.git"},
	{"GitStep.ref", recipe.CheckGitRef, "layer", `steps: [{git: {url: "https://h.example/r.git", ref: "@", dest: /src}}]`, "--upload-pack=x"},
	{"GitStep.commit", recipe.CheckCommit, "layer", `steps: [{git: {url: "https://h.example/r.git", commit: "@", dest: /src}}]`, strings.ToUpper(testCommit)},
	{"GitStep.dest", recipe.CheckAbsPath, "layer", `steps: [{git: {url: "https://h.example/r.git", dest: "@"}}]`, "src"},
	{"CopyStep.dest", recipe.CheckAbsPath, "layer", "stages: [{name: s, from: base, steps: [{run: \"true\"}]}]\nsteps: [{copy: {stage: s, src: [/x], dest: \"@\"}}]", "relative"},
	{"CopyStep.owner", recipe.CheckOwner, "layer", "stages: [{name: s, from: base, steps: [{run: \"true\"}]}]\nsteps: [{copy: {stage: s, src: [/x], dest: /x, owner: \"@\"}}]", "root;id"},
	{"DownloadStep.url", recipe.CheckHTTPURL, "layer", `steps: [{download: {url: "@", sha256: ` + someSHA + `, dest: /x}}]`, "file:///etc/passwd"},
	{"DownloadStep.sha256", recipe.CheckSHA256, "layer", `steps: [{download: {url: "https://h.example/x", sha256: "@", dest: /x}}]`, "abc"},
	{"Test.file", recipe.CheckAbsPath, "layer", "steps: [{run: \"true\"}]\nsmoke: [{name: t, file: \"@\", expect: {exists: false}}]", "missing"},
	{"Expect.files", recipe.CheckAbsPath, "stack", `smoke: [{name: t, run: "true", expect: {files: ["@"]}}]`, "out.txt"},
	{"Compare.file", recipe.CheckAbsPath, "stack", `smoke: [{name: t, run: "true", compare: {file: "@"}}]`, "out.txt"},
	{"Ready.http", recipe.CheckHTTPURL, "image", "from: docker.io/library/debian:bookworm\nsmoke: [{name: t, service: {run: x, ready: {http: \"@\"}}}]", "127.0.0.1:8000/health"},
	{"DownloadStep.dest", recipe.CheckAbsPath, "layer", `steps: [{download: {url: "https://h.example/x", sha256: ` + someSHA + `, dest: "@"}}]`, "x"},
}

// ruleExempt are the structured fields without a case above, and why.
var ruleExempt = map[string]string{
	"Image.labels": "one line, the rule every argument obeys already",
	"Image.args":   "one line, the rule every argument obeys already",
	"Image.env":    "one line, the rule every argument obeys already",
	"Layer.args":   "one line, the rule every argument obeys already",
	"Layer.env":    "one line, the rule every argument obeys already",
	"Stack.args":   "one line, the rule every argument obeys already",
	"Step.env":     "one line, the rule every argument obeys already",
	"Test.env":     "one line, the rule every argument obeys already",
}

// ruleTree writes the three documents of a case with value (recipe text,
// quoted) in place of "@", and returns the set and the value's position.
func ruleTree(t *testing.T, c ruleCase, value string) (*recipe.Set, recipe.Pos) {
	t.Helper()
	docs := map[string]string{
		"image": "apiVersion: macabox/v1\nkind: Image\nname: base\nargs: {BAD: x}\n",
		"layer": "apiVersion: macabox/v1\nkind: Layer\nname: l\n",
		"stack": "apiVersion: macabox/v1\nkind: Stack\nname: s\nbase: base\nlayers: [l]\n",
	}
	defaults := map[string]string{"image": "from: docker.io/library/debian:bookworm", "layer": `steps: [{run: "true"}]`, "stack": ""}
	for d := range docs {
		snippet := defaults[d]
		if d == c.doc {
			snippet = c.snippet
		}
		docs[d] += snippet + "\n"
	}
	root := t.TempDir()
	files := map[string]string{"image": "images/base.yaml", "layer": "recipes/l/l.yaml", "stack": "recipes/l/s.yaml"}
	var pos recipe.Pos
	for d, text := range docs {
		path := filepath.Join(root, filepath.FromSlash(files[d]))
		if i := strings.Index(text, `"@"`); i >= 0 {
			line := strings.Count(text[:i], "\n") + 1
			pos = recipe.Pos{File: path, Line: line, Col: i - strings.LastIndex(text[:i], "\n")}
			text = strings.Replace(text, `"@"`, value, 1)
		}
		writeFile(t, path, text)
	}
	set, err := recipe.LoadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	return set, pos
}

// problemAt returns the message of the one problem at pos, without its
// position and field.
func problemAt(t *testing.T, err error, pos recipe.Pos) string {
	t.Helper()
	var errs recipe.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("no recipe problem at %s: %v", pos, err)
	}
	for _, e := range errs {
		if e.Pos == pos {
			return e.Msg
		}
	}
	t.Fatalf("no problem at %s among:\n%v", pos, err)
	return ""
}

// TestSubstitutedValuesFollowTheLiteralRules: a value that reaches a field
// through ${NAME} is held to the rule the field holds a value written there
// to, and refused at the field with the argument named.
func TestSubstitutedValuesFollowTheLiteralRules(t *testing.T) {
	for _, c := range ruleCases {
		t.Run(c.field, func(t *testing.T) {
			set, pos := ruleTree(t, c, strconv.Quote(c.bad))
			literal := problemAt(t, recipe.Validate(set, recipe.Rules{Size: device.ParseSize}).Err(), pos)

			set, pos = ruleTree(t, c, `"${BAD}"`)
			if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
				t.Fatalf("with a reference the recipes are valid until planned:\n%v", errs)
			}
			_, err := New(set, "s", Options{Args: map[string]string{"BAD": c.bad}})
			planned := problemAt(t, err, pos)
			rule := c.rule(c.bad)
			if rule == nil {
				t.Fatalf("the rule of %s accepts %q", c.field, c.bad)
			}
			if !strings.Contains(literal, rule.Error()) {
				t.Errorf("written as is, the value is not refused by the field's rule:\n  %s\nwant:\n  %v", literal, rule)
			}
			if want := rule.Error() + " (${BAD} from --set BAD)"; planned != want {
				t.Errorf("after substitution:\n  %s\nwant:\n  %s", planned, want)
			}
		})
	}
}

// TestEveryStructuredFieldHasARuleCase keeps the cases above complete: a
// new field that takes ${NAME} needs a case, or a reason to have none.
func TestEveryStructuredFieldHasARuleCase(t *testing.T) {
	var fields []string
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			if key == "" || key == "-" {
				continue
			}
			switch f.Type {
			case reflect.TypeFor[recipe.Str](), reflect.TypeFor[*recipe.Str](), reflect.TypeFor[[]recipe.Str](), reflect.TypeFor[recipe.Map]():
				if _, has := f.Tag.Lookup("vars"); !has {
					fields = append(fields, typ.Name()+"."+key)
				}
			default:
				walk(f.Type)
			}
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[recipe.Image](), reflect.TypeFor[recipe.Layer](), reflect.TypeFor[recipe.Stack]()} {
		walk(typ)
	}
	covered := map[string]bool{}
	for _, c := range ruleCases {
		covered[c.field] = true
	}
	for _, f := range fields {
		if !covered[f] && ruleExempt[f] == "" {
			t.Errorf("%s takes ${NAME} but has no rule case", f)
		}
	}
	for f := range covered {
		if !slices.Contains(fields, f) {
			t.Errorf("rule case %s names no structured field", f)
		}
	}
	if len(fields) < len(ruleCases) {
		t.Errorf("found %d structured fields: %s", len(fields), fmt.Sprint(fields))
	}
}

// TestSmokeValuesAreSubstituted: the structured values of a smoke test reach
// the runners with their arguments substituted; written as ${DIR}, a file
// that must not exist would otherwise never exist, and the test pass.
func TestSmokeValuesAreSubstituted(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "images", "base.yaml"), `apiVersion: macabox/v1
kind: Image
name: base
from: docker.io/library/debian:bookworm
args: {DIR: /opt/app, VER: "1.2", PORT: "8000"}
smoke:
  - name: gone
    file: ${DIR}/old.conf
    expect: {exists: false}
  - name: writes
    run: app --out "$OUT"
    env: {OUT: "${DIR}/out", V: "v${VER}", LIT: "$$HOME"}
    expect: {files: ["${DIR}/out/report.txt"]}
  - name: serves
    service: {run: app serve, ready: {http: "http://127.0.0.1:${PORT}/health"}}
    probe: curl -sf "http://127.0.0.1:$PORT/"
`)
	set, err := recipe.LoadTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if errs := recipe.Validate(set, recipe.Rules{Size: device.ParseSize}); len(errs) > 0 {
		t.Fatal(errs)
	}
	p, err := New(set, "base", Options{Args: map[string]string{"PORT": "9000"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]smoke.Test{}
	for _, s := range p.Smoke {
		tests[s.Name] = s.Test
	}
	if f := tests["gone"].File; f != "/opt/app/old.conf" {
		t.Errorf("file %q", f)
	}
	w := tests["writes"]
	if got := smoke.TestEnv(w); !slices.Equal(got, []string{"OUT=/opt/app/out", "V=v1.2", "LIT=$HOME"}) {
		t.Errorf("env %q", got)
	}
	if !slices.Equal(w.Expect.Files, []string{"/opt/app/out/report.txt"}) || w.Run != `app --out "$OUT"` {
		t.Errorf("files %q, run %q", w.Expect.Files, w.Run)
	}
	s := tests["serves"]
	if s.Service.ReadyHTTP != "http://127.0.0.1:9000/health" || s.Probe != `curl -sf "http://127.0.0.1:$PORT/"` {
		t.Errorf("ready %q, probe %q", s.Service.ReadyHTTP, s.Probe)
	}
}
