package scaffold

import (
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

func TestEnvPrefixAndRequires(t *testing.T) {
	for name, want := range map[string]string{"hello": "HELLO", "my.app-2": "MY_APP_2", "3dgs": "_3DGS"} {
		if got := envPrefix(name); got != want {
			t.Errorf("envPrefix(%q) = %q, want %q", name, got, want)
		}
	}
	sim := &Base{Name: "maca-sim", MACA: "3.0.0.5", Simulated: true}
	for _, c := range []struct {
		bases []*Base
		want  string
	}{
		{[]*Base{{Name: "maca-3.8", MACA: "3.8.0.23"}, sim}, ">=3.0"},
		{[]*Base{{Name: "maca-3.8", MACA: "3.8.0.23"}, nil}, ">=3.8"},
		{[]*Base{{Name: "custom"}, nil}, ">=3.0"},
	} {
		if got := requires(c.bases...); got != c.want {
			t.Errorf("requires(%v) = %q, want %q", c.bases, got, c.want)
		}
	}
}

func TestRename(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"kind: Layer\nname: mineru\nsteps: []\n", "kind: Layer\nname: fork\nsteps: []\n"},
		{"kind: Layer\nname: \"mineru\" # quoted\n", "kind: Layer\nname: fork # quoted\n"},
	} {
		got, err := rename([]byte(c.text), 2, 7, "mineru", "fork")
		if err != nil || string(got) != c.want {
			t.Errorf("rename(%q) = %q, %v; want %q", c.text, got, err, c.want)
		}
	}
	if _, err := rename([]byte("name: other\n"), 1, 7, "mineru", "fork"); err == nil {
		t.Error("renamed a name that is not there")
	}
}

// TestFilesLoad: every name the recipe format accepts gives a recipe that
// loads, with the stacks and documents where they belong.
func TestFilesLoad(t *testing.T) {
	base := Base{Name: "maca-3.8", MACA: "3.8.0.23"}
	sim := &Base{Name: "maca-sim", MACA: "3.0.0.5", Simulated: true}
	for _, name := range []string{"hello", "my.app-2", "3dgs"} {
		files, err := Files(Options{Name: name, Base: base, Sim: sim})
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, f := range files {
			paths = append(paths, f.Path)
		}
		want := "recipes/" + name + "/" + name + ".yaml docs/" + name + ".md docs/" + name + ".zh-CN.md recipes/recipe.schema.json"
		if strings.Join(paths, " ") != want {
			t.Errorf("%s: files %v", name, paths)
		}
		if !files[len(files)-1].Shared {
			t.Error("the schema is not marked shared")
		}
		rec := string(files[0].Data)
		if !strings.HasPrefix(rec, "# yaml-language-server: $schema=../recipe.schema.json\n") {
			t.Errorf("%s: no schema line:\n%.80s", name, rec)
		}
		docs, err := recipe.Load(files[0].Path, files[0].Data)
		if err != nil {
			t.Fatalf("%s:\n%v\n%s", name, err, rec)
		}
		var got []string
		for _, d := range docs {
			got = append(got, string(d.Kind())+" "+d.Name())
		}
		if strings.Join(got, ", ") != "Layer "+name+", Stack "+name+"-maca-3.8, Stack "+name+"-maca-sim" {
			t.Errorf("%s: documents %v", name, got)
		}
		l := docs[0].Layer
		if l.Requires == nil || l.Requires.MACA.Value != ">=3.0" || len(l.Steps) == 0 {
			t.Errorf("%s: layer %+v", name, l)
		}
		for _, st := range l.Steps {
			if st.Source.Value == "" {
				t.Errorf("%s: a step without a source", name)
			}
		}
		device := 0
		for _, test := range l.Smoke {
			if len(test.Needs) > 0 {
				device++
			}
		}
		if device == 0 {
			t.Errorf("%s: no smoke test needs a device", name)
		}
		if a := l.About; a == nil || a.Title.Value == "" || a.Background.Value == "" || a.Expected.Value == "" || a.Route.Value == "" || a.Assignee.Value == "" || len(a.Links) == 0 {
			t.Errorf("%s: the layer's about: block lacks a contest field: %+v", name, a)
		}
		if a := docs[1].Stack.About; a == nil || !strings.Contains(a.Title.Value, "MACA 3.8.0.23") {
			t.Errorf("%s: the stack's title does not name its MACA: %+v", name, a)
		}
	}
}
