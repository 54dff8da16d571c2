package plan

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Credentials in a URL are refused however they arrive: from --set, or
// from arguments harmless apart that join into one.
func TestCredentialsInArgumentsAreRefused(t *testing.T) {
	root := t.TempDir()
	m := &mem{file: filepath.Join(root, "recipes", "c", "c.yaml")}
	layer := &recipe.Layer{
		Header: m.header(recipe.KindLayer, "c"),
		Args:   m.kv("SCHEME", "https://u:", "URL", "${SCHEME}pw@mirror.example.org/", "REPO", "https://example.org/r.git"),
		Steps: []recipe.Step{
			{Pos: m.pos(), Git: &recipe.GitStep{URL: m.s("${REPO}"), Token: m.s("gittoken"), Dest: m.s("/src")}},
		},
	}
	_, err := New(memSet(root, layer, nil), "test", Options{})
	wantErr(t, err, m.file+`:7:3: field "URL": "https://u:pw@" carries credentials`, "(${SCHEME} set at recipes/c/c.yaml:5:3)")
	if n := strings.Count(err.Error(), "\n"); n != 0 {
		t.Errorf("%d more problems:\n%v", n, err)
	}

	layer.Args = layer.Args[2:] // REPO only
	_, err = New(memSet(root, layer, nil), "test", Options{Args: map[string]string{"REPO": "https://x-access-token:tok@example.org/r.git"}})
	wantErr(t, err, "--set REPO:", `"https://x-access-token:tok@" carries credentials`, "--secret")

	p, err := New(memSet(root, layer, nil), "test", Options{Args: map[string]string{"REPO": "https://example.org/fork.git"}})
	if err != nil {
		t.Fatal(err)
	}
	if ids := p.Steps[0].SecretIDs(); !slices.Equal(ids, []string{"gittoken"}) {
		t.Errorf("the git step mounts %q", ids)
	}
	for _, a := range p.Args {
		if strings.Contains(a.Value, "tok") {
			t.Errorf("argument %s = %q", a.Name, a.Value)
		}
	}

	// A token goes over http(s) only.
	layer.Steps[0].Git.URL = m.s("ssh://git@example.org/r.git")
	_, err = New(memSet(root, layer, nil), "test", Options{})
	wantErr(t, err, `field "token": git sends a token over http(s) only`)
}
