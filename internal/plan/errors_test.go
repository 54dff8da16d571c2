package plan

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

func loadCase(t *testing.T, name string) *recipe.Set {
	t.Helper()
	return loadTree(t, filepath.Join("testdata", name))
}

func loadTree(t *testing.T, dir string) *recipe.Set {
	t.Helper()
	set, err := recipe.LoadTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// wantErr checks that err mentions every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestTargets(t *testing.T) {
	set := loadCase(t, "simple")
	_, err := New(set, "hello", Options{})
	wantErr(t, err, "recipes/hello/hello.yaml:3:7:", `layer "hello" cannot be built on its own`, "Stack", "layers: [hello]")
	var errs recipe.Errors
	if !errors.As(err, &errs) {
		t.Errorf("a layer target gives %T, want recipe.Errors", err)
	}

	_, err = New(set, "nope", Options{})
	wantErr(t, err, `unknown target "nope"`, "hello-stack", "maca-sim-3.0")

	p, err := New(set, "maca-sim-3.0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != recipe.KindImage || len(p.Layers) != 0 || p.Stages[len(p.Stages)-1].Name != "after-maca-sim-3.0" {
		t.Errorf("image target planned as %s with layers %v and stages %v", p.Kind, p.Layers, p.Stages)
	}

	// A recipe file names its image or stack; a file of only layers names
	// nothing buildable.
	p, err = New(set, filepath.Join("testdata", "simple", "recipes", "hello", "hello.yaml"), Options{})
	if err != nil || p.Target != "hello-stack" {
		t.Errorf("target by file: %v, %v", p, err)
	}
}

func TestSetArgs(t *testing.T) {
	set := loadCase(t, "args-override")
	_, err := New(set, "tool-sim", Options{Args: map[string]string{"VERSON": "1", "ZZZ": "2"}})
	wantErr(t, err, "unknown argument VERSON, ZZZ", "known: CHANNEL, TAG, URL, VERSION")

	_, err = New(set, "tool-sim", Options{Args: map[string]string{"MACA_VERSION": "3.1"}})
	wantErr(t, err, "MACA_VERSION is set by macabox")

	_, err = New(set, "tool-sim", Options{Args: map[string]string{"VERSION": "1\nRUN evil"}})
	wantErr(t, err, "--set VERSION", "line break")

	// A value from the command line is taken literally, and held to the
	// rules of every field it reaches: here a tag, through TAG's default.
	_, err = New(set, "tool-sim", Options{Args: map[string]string{"VERSION": `$(id)"q"`}})
	wantErr(t, err, `recipes/tool/tool.yaml:25:8: field "tags": "localhost:5000/macabox/tool:v$(id)\"q\"-beta" is not an image reference`,
		"(${TAG} set at recipes/tool/tool.yaml:8:8, ${VERSION} from --set VERSION, ${CHANNEL} set at recipes/tool/tool.yaml:24:33)")

	p, err := New(set, "tool-sim", Options{Args: map[string]string{"VERSION": "3.1_rc"}})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := findArg(p, "TAG"); a.Value != "v3.1_rc" || a.Default != "v2.0" {
		t.Errorf("TAG follows --set VERSION as %q (default %q)", a.Value, a.Default)
	}
	if p.Tags[0] != "localhost:5000/macabox/tool:v3.1_rc-beta" {
		t.Errorf("tags %q", p.Tags)
	}
}

// TestPlatformSpelledAsBuildKitDoes: a platform the builder normalises is
// planned in normal form, so TARGETPLATFORM and TARGETARCH hold what
// BuildKit will set.
func TestPlatformSpelledAsBuildKitDoes(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "simple"), dir)
	img := filepath.Join(dir, "images", "maca-sim.yaml")
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "os: debian12\n", "os: debian12\nplatform: linux/x86_64\n", 1)
	if edited == string(data) {
		t.Fatal("the fixture has no os line to put the platform after")
	}
	if err := os.WriteFile(img, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := New(loadTree(t, dir), "hello-stack", Options{})
	if err != nil {
		t.Fatal(err)
	}
	arch, _ := findArg(p, "TARGETARCH")
	platform, _ := findArg(p, "TARGETPLATFORM")
	if p.Platform != "linux/amd64" || arch.Value != "amd64" || platform.Value != "linux/amd64" {
		t.Errorf("platform %q, TARGETPLATFORM %q, TARGETARCH %q; want linux/amd64 and amd64", p.Platform, platform.Value, arch.Value)
	}
}

// Values the recipe validator would refuse still cannot break the
// Dockerfile: the planner reports them at their position.
func TestPositionedProblems(t *testing.T) {
	root := t.TempDir()
	m := &mem{file: filepath.Join(root, "recipes", "bad", "bad.yaml")}
	layer := &recipe.Layer{
		Header: m.header(recipe.KindLayer, "bad"),
		Args:   m.kv("A", "${B}", "B", "${A}", "C", "x${NOPE}"),
		Steps: []recipe.Step{
			{Pos: m.pos(), Apt: &recipe.AptStep{Packages: m.list("ok", "two\nlines", "-o=evil")}},
			{Pos: m.pos(), Pip: &recipe.PipStep{Packages: m.list("x==${SOURCE_DATE_EPOCH}")}},
			{Pos: m.pos(), Copy: &recipe.CopyStep{Src: m.list("../outside"), Dest: m.s("/x")}},
			{Pos: m.pos(), Run: &recipe.RunStep{Script: m.s("true"), Cache: m.list("/a,b=c")}},
			{Pos: m.pos(), Download: &recipe.DownloadStep{URL: m.s("ftp://x/y"), SHA256: m.s("abc"), Dest: m.s("rel")}},
			{Pos: m.pos(), Workdir: ptr(m.s("/trailing "))},
			{Pos: m.pos(), Git: &recipe.GitStep{URL: m.s("https://x/y.git"), Commit: m.s("abc"), Dest: m.s("/src")}},
		},
	}
	_, err := New(memSet(root, layer, nil), "test", Options{})
	file := filepath.Join(root, "recipes", "bad", "bad.yaml")
	for _, want := range []string{
		"refers back to itself",
		"unknown reference ${NOPE}",
		"line break",
		`package "-o=evil" starts with '-'`,
		"${SOURCE_DATE_EPOCH} has no value when planning: it is only known when the image is built",
		`"../outside" leaves the recipe's folder`,
		"--mount option",
		`URL "ftp://x/y" must use http or https`,
		`"abc" is not a sha256 digest`,
		`"rel" is not an absolute path`,
		"starts or ends with a space",
		`"abc" is not a full commit id`,
	} {
		wantErr(t, err, want)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, file+":") {
			t.Errorf("problem without a position in the recipe: %q", line)
		}
	}
}

func TestStagesAndCopies(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "recipes", "st", "files", "a.txt"), "a")
	writeFile(t, filepath.Join(root, "recipes", "st", "files", "b.txt"), "b")
	m := &mem{file: filepath.Join(root, "recipes", "st", "st.yaml")}
	layer := &recipe.Layer{
		Header: m.header(recipe.KindLayer, "st"),
		Stages: []recipe.Stage{
			{Name: m.s("build"), From: m.s("base"), Steps: []recipe.Step{{Pos: m.pos(), Run: &recipe.RunStep{Script: m.s("make")}}}},
			{Name: m.s("test"), From: m.s("build"), Steps: []recipe.Step{{Pos: m.pos(), Run: &recipe.RunStep{Script: m.s("make test")}}}},
			{Name: m.s("tools"), From: m.s("docker.io/library/golang:1.26"), Steps: []recipe.Step{{Pos: m.pos(), Run: &recipe.RunStep{Script: m.s("go version")}}}},
			{Name: m.s("on-image"), From: m.s("base-image"), Steps: []recipe.Step{{Pos: m.pos(), Run: &recipe.RunStep{Script: m.s("true")}}}},
		},
		Steps: []recipe.Step{
			{Pos: m.pos(), Copy: &recipe.CopyStep{Stage: m.s("test"), Src: m.list("/out/", "/log"), Dest: m.s("/opt/")}},
			{Pos: m.pos(), Copy: &recipe.CopyStep{Src: m.list("files/*.txt"), Dest: m.s("/etc/st/")}},
			{Pos: m.pos(), Copy: &recipe.CopyStep{Src: m.list("files"), Dest: m.s("/etc/all")}},
		},
	}
	set := memSet(root, layer, func(img *recipe.Image) { img.Header.Name.Value = "base-image" })
	set.Docs[2].Stack.Base.Value = "base-image"
	p, err := New(set, "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Stage{
		{Name: "base", From: "docker.io/library/debian:bookworm", FromImage: true},
		{Name: "after-base-image", From: "base"},
		{Name: "st.build", From: "after-base-image"},
		{Name: "st.test", From: "st.build"},
		{Name: "st.tools", From: "docker.io/library/golang:1.26", FromImage: true},
		{Name: "st.on-image", From: "after-base-image"},
		{Name: "after-st", From: "after-base-image"},
	}
	if len(p.Stages) != len(want) {
		t.Fatalf("stages %+v", p.Stages)
	}
	for i, w := range want {
		if s := p.Stages[i]; s.Name != w.Name || s.From != w.From || s.FromImage != w.FromImage {
			t.Errorf("stage %d is %s from %s (image %v), want %s from %s (image %v)", i, s.Name, s.From, s.FromImage, w.Name, w.From, w.FromImage)
		}
	}
	copies := []*CopyStep{}
	for _, s := range p.Steps {
		if s.Copy != nil {
			copies = append(copies, s.Copy)
		}
	}
	if c := copies[0]; c.FromStage != "st.test" || strings.Join(c.Sources, " ") != "/out/ /log" {
		t.Errorf("copy from stage: %+v", c)
	}
	if c := copies[1]; strings.Join(c.Sources, " ") != "recipes/st/files/a.txt recipes/st/files/b.txt" {
		t.Errorf("wildcard copy sources: %v", c.Sources)
	}
	var names []string
	for _, f := range p.Context {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != "recipes/st/files/a.txt recipes/st/files/b.txt" {
		t.Errorf("context: %v", names)
	}
	var warned []string
	for _, w := range p.Warnings {
		warned = append(warned, w.Msg)
	}
	if got := strings.Join(warned, "\n"); got != "stage st.tools is not copied from, so the build skips it\nstage st.on-image is not copied from, so the build skips it" {
		t.Errorf("warnings:\n%s", got)
	}
	r, err := Render(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.BaseRefs, " ") != "docker.io/library/debian:bookworm docker.io/library/golang:1.26" {
		t.Errorf("base refs %v", r.BaseRefs)
	}
	conv := convert(t, r.Dockerfile)
	if ws := unexpectedWarnings(conv.warnings); len(ws) > 0 {
		t.Errorf("frontend warnings: %v", ws)
	}

	// A stage cannot build on an image outside the target's chain.
	layer.Stages[3].From.Value = "hello"
	set.Docs = append(set.Docs, &recipe.Document{File: "x.yaml", Image: &recipe.Image{Header: recipe.Header{Name: recipe.Str{Value: "hello"}}}})
	_, err = New(set, "test", Options{})
	wantErr(t, err, `"hello" is an Image outside this target's base chain`)
}

func TestRenderRefusesBrokenPlans(t *testing.T) {
	set := loadCase(t, "simple")
	p, err := New(set, "hello-stack", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Steps {
		if p.Steps[i].Kind == KindApt {
			p.Steps[i].Apt.Packages = append(p.Steps[i].Apt.Packages, "x\nRUN evil")
		}
	}
	_, err = Render(p)
	wantErr(t, err, "recipes/hello/hello.yaml:11:5", "line break")

	if _, err := Render(&Plan{}); err == nil {
		t.Error("an empty plan renders")
	}
}
