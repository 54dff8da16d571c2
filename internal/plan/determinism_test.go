package plan

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// TestDeterministic renders every golden case again and again: twice in a
// row, with the documents of the set in shuffled order, with many --set
// values (whose map Go iterates in a different order each time), and from a
// copy of the tree in another folder reached from another working
// directory. The Dockerfile, line map and inputs digest must not change.
func TestDeterministic(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			root := filepath.Join("testdata", c.name)
			p0, r0 := planCase(t, root, c.target, c.args)

			_, r1 := planCase(t, root, c.target, c.args)
			sameRender(t, "second run", r0, r1)

			for i := range 5 {
				set, err := recipe.LoadTree(root)
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				rng.Shuffle(len(set.Docs), func(a, b int) { set.Docs[a], set.Docs[b] = set.Docs[b], set.Docs[a] })
				p, err := New(set.WithCells(), c.target, Options{Args: c.args})
				if err != nil {
					t.Fatal(err)
				}
				r, err := Render(p)
				if err != nil {
					t.Fatal(err)
				}
				sameRender(t, "shuffled documents", r0, r)
			}

			moved := filepath.Join(t.TempDir(), "elsewhere", "project")
			copyTree(t, root, moved)
			t.Chdir(t.TempDir())
			pm, rm := planCase(t, moved, c.target, c.args)
			sameRender(t, "moved tree", r0, rm)
			if pm.InputsDigest != p0.InputsDigest {
				t.Errorf("inputs digest %s in the moved tree, %s in place", pm.InputsDigest, p0.InputsDigest)
			}
			if got, want := planJSON(t, pm, moved), planJSON(t, p0, filepath.Join(origWD(t), root)); !bytes.Equal(got, want) {
				t.Errorf("plan JSON of the moved tree differs:\n%s", firstDiff(want, got))
			}
		})
	}
}

func TestArgsMapOrderDoesNotMatter(t *testing.T) {
	root := filepath.Join("testdata", "args-override")
	args := map[string]string{"VERSION": "9", "CHANNEL": "nightly", "TAG": "t", "URL": "https://x.example/u"}
	_, r0 := planCase(t, root, "tool-sim", args)
	for range 20 {
		_, r := planCase(t, root, "tool-sim", args)
		sameRender(t, "same --set values", r0, r)
	}
}

func sameRender(t *testing.T, what string, want, got *Rendered) {
	t.Helper()
	if !bytes.Equal(want.Dockerfile, got.Dockerfile) {
		t.Errorf("%s: the Dockerfile differs:\n%s", what, firstDiff(want.Dockerfile, got.Dockerfile))
	}
	if !bytes.Equal(FormatLines(want.Lines), FormatLines(got.Lines)) {
		t.Errorf("%s: the line map differs", what)
	}
}

var startWD, _ = os.Getwd()

func origWD(t *testing.T) string {
	t.Helper()
	if startWD == "" {
		t.Fatal("no working directory")
	}
	return startWD
}

// copyTree copies a recipe tree, keeping the executable bits.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if e.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
