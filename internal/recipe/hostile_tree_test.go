package recipe

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const minimalImage = "apiVersion: macabox/v1\nkind: Image\nname: base\nfrom: scratch\n"

// nonPrintingNames are file and folder names that must never reach a
// generated script, a document or a terminal: line breaks and escapes that
// start new commands or rewrite the screen, bidi controls and invisible
// characters that make a name read as another, and bytes that are not UTF-8.
var nonPrintingNames = map[string]string{
	"newline":         "a\ntouch PWNED #.yaml",
	"carriage return": "a\rb.yaml",
	"tab":             "a\tb.yaml",
	"escape":          "a\x1b[2Jb.yaml",
	"delete":          "a\x7fb.yaml",
	"C1 control":      "a\u0085b.yaml",
	"RLO":             "evil\u202egnp.yaml",
	"LRE":             "a\u202ab.yaml",
	"PDF":             "a\u202cb.yaml",
	"LRI":             "a\u2066b.yaml",
	"PDI":             "a\u2069b.yaml",
	"zero width":      "a\u200bb.yaml",
	"line separator":  "a\u2028b.yaml",
	"para separator":  "a\u2029b.yaml",
	"not UTF-8":       "caf\xe9.yaml",
}

// hasNonPrinting reports a character of the classes recipes refuse.
func hasNonPrinting(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.ContainsFunc(s, func(r rune) bool {
		return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) && r != '\n'
	})
}

// loadTreeErrors loads a tree and returns its problems, failing on anything
// but recipe problems.
func loadTreeErrors(t *testing.T, root string) (*Set, Errors) {
	t.Helper()
	s, err := LoadTree(root)
	var errs Errors
	if err != nil && !errors.As(err, &errs) {
		t.Fatalf("LoadTree: %v", err)
	}
	return s, errs
}

// TestLoadRefusesNonPrintingFileNames: a recipe whose path holds a control or
// formatting character is refused before it is read, and the problem line
// shows the path escaped, so the report itself stays one line per problem.
func TestLoadRefusesNonPrintingFileNames(t *testing.T) {
	for what, name := range nonPrintingNames {
		for _, where := range []string{"file", "folder"} {
			t.Run(what+" in "+where, func(t *testing.T) {
				root := t.TempDir()
				rel := filepath.Join("images", name)
				if where == "folder" {
					rel = filepath.Join("recipes", name[:len(name)-len(".yaml")], "app.yaml")
				}
				path := filepath.Join(root, rel)
				if err := writeHostileName(path); err != nil {
					// Linux file systems take any byte but '/' and NUL;
					// others (APFS: only UTF-8) may refuse some names.
					if runtime.GOOS != "linux" {
						t.Skipf("this file system refuses the name: %v", err)
					}
					t.Fatal(err)
				}
				s, errs := loadTreeErrors(t, root)
				if s != nil && len(s.Docs) != 0 {
					t.Errorf("loaded %d documents from a refused file", len(s.Docs))
				}
				if len(errs) != 1 {
					t.Fatalf("got %d problems, want 1:\n%v", len(errs), errs)
				}
				got := errs.Error()
				if want := strconv.Quote(path) + ":1:1: "; !strings.HasPrefix(got, want) {
					t.Errorf("problem %q does not start with the escaped path %q", got, want)
				}
				if hasNonPrinting(got) || strings.Contains(got, "\n") {
					t.Errorf("the problem line holds the raw character: %q", got)
				}
			})
		}
	}
}

// TestPositionsEscapeFileNames: whatever made the position, a file name is
// never printed raw.
func TestPositionsEscapeFileNames(t *testing.T) {
	for _, name := range nonPrintingNames {
		e := &Error{Pos: Pos{File: name, Line: 3, Col: 4}, Field: "name\u202e", Msg: "problem"}
		if got := e.Error(); hasNonPrinting(got) || strings.Contains(got, "\n") {
			t.Errorf("Error() = %q", got)
		}
	}
	if got := (Pos{File: "recipes/app/app.yaml", Line: 1, Col: 2}).String(); got != "recipes/app/app.yaml:1:2" {
		t.Errorf("a plain path is changed: %q", got)
	}
}

// TestLoadRefusesLinksLeavingTheTree: a recipe file that is a symlink is read
// only when it leads to a file inside the tree; a link to a secret elsewhere
// is refused without reading it, so nothing of the secret is printed.
func TestLoadRefusesLinksLeavingTheTree(t *testing.T) {
	root := t.TempDir()
	secret := filepath.Join(t.TempDir(), "credentials")
	writeFile(t, secret, "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
	writeFile(t, filepath.Join(root, "images", "base.yaml"), minimalImage)
	writeFile(t, filepath.Join(root, "recipes", "shared", "app.yaml"), "apiVersion: macabox/v1\nkind: Layer\nname: app\nsteps: [{run: \"true\"}]\n")
	symlink(t, secret, filepath.Join(root, "images", "creds.yaml"))
	symlink(t, "/etc/passwd", filepath.Join(root, "images", "passwd.yaml"))
	symlink(t, filepath.Join(root, "images", "base.yaml"), filepath.Join(root, "recipes", "base.yaml"))
	symlink(t, "shared/app.yaml", filepath.Join(root, "recipes", "app.yaml"))
	symlink(t, "missing.yaml", filepath.Join(root, "recipes", "dangling.yaml"))

	s, errs := loadTreeErrors(t, root)
	got := errs.Error()
	for _, want := range []string{
		filepath.Join(root, "images", "creds.yaml") + ":1:1: ",
		filepath.Join(root, "images", "passwd.yaml") + ":1:1: ",
		filepath.Join(root, "recipes", "base.yaml") + ":1:1: ",
		filepath.Join(root, "recipes", "dangling.yaml") + ":1:1: ",
	} {
		if !strings.Contains(got, want+"a symlink") {
			t.Errorf("no problem at %s for the link:\n%s", want, got)
		}
	}
	if len(errs) != 4 {
		t.Errorf("got %d problems, want 4:\n%s", len(errs), got)
	}
	if strings.Contains(got, "wJalr") || strings.Contains(got, "root:") {
		t.Errorf("the problems quote what a link leads to:\n%s", got)
	}
	var names []string
	for _, d := range s.Docs {
		names = append(names, d.Name()+"@"+filepath.Base(d.File))
	}
	// A link inside its folder is read, under the link's own name.
	if want := "base@base.yaml app@app.yaml app@app.yaml"; strings.Join(names, " ") != want {
		t.Errorf("documents %v, want %s", names, want)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestLoadQuotesOnlyAnExcerptOfOtherFiles: a file that is not a recipe (a
// credentials file copied into the tree, say) is named, but at most a short
// excerpt of its text appears in the problem.
func TestLoadQuotesOnlyAnExcerptOfOtherFiles(t *testing.T) {
	const secret = "ghp_0123456789abcdefghijklmnopqrstuvwxyzABCD"
	for _, data := range []string{
		secret + "\n",
		"token=" + secret + "\n",
		"!" + secret + " x\n",
		"\"" + secret + "\\u202e\"\n",
		"- " + secret + "\n",
	} {
		_, err := Load("creds.yaml", []byte(data))
		if err == nil {
			t.Fatalf("%q loaded", data)
		}
		msg := err.Error()
		for i := 0; i+maxExcerptRunes+1 <= len(secret); i++ {
			if strings.Contains(msg, secret[i:i+maxExcerptRunes+1]) {
				t.Errorf("%q: the problem quotes more than %d characters of the file: %s", data, maxExcerptRunes, msg)
				break
			}
		}
		if hasNonPrinting(msg) {
			t.Errorf("%q: unescaped: %q", data, msg)
		}
	}
}

// TestLoadStopsInAnAbsurdTree: a tree with more entries than any recipe tree
// has is refused with one clear error instead of being walked to its end.
func TestLoadStopsInAnAbsurdTree(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "recipes", "app.yaml"), minimalImage)
	for i := range 50 {
		writeFile(t, filepath.Join(root, "recipes", "data", strconv.Itoa(i)), "x")
	}
	if _, err := recipeFiles([]string{filepath.Join(root, "recipes")}, 200); err != nil {
		t.Fatalf("a tree under the limit: %v", err)
	}
	_, err := recipeFiles([]string{filepath.Join(root, "recipes")}, 20)
	if err == nil {
		t.Fatal("a tree over the limit was walked")
	}
	var errs Errors
	if errors.As(err, &errs) || !strings.Contains(err.Error(), "more than 20 files and folders") {
		t.Errorf("got %v, want one error naming the limit", err)
	}
}

func writeHostileName(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(minimalImage), 0o644)
}
