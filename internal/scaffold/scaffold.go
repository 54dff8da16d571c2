// Package scaffold makes the starting files of a project's own recipe, as
// `macabox init` writes them: a layer with a source on each step and smoke
// tests (one of them needing a device), a stack on a MACA base with the
// about: block a contest issue needs, a stack on the simulated base to try
// it offline, English and Chinese documentation skeletons, and the JSON
// Schema editors check the recipe against. Or, from a layer of the catalog,
// a copy of that layer with the files its copy steps take.
//
// It only makes bytes; where they go, and that nothing is overwritten, is
// the caller's.
package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"regexp"
	"strings"
	"text/template"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

//go:embed templates/*.tmpl
var templates embed.FS

// Base is an image a stack of the project is built on.
type Base struct {
	Name string
	// MACA is the MACA version the image declares; "" when it declares none.
	MACA      string
	Simulated bool
}

// From is a layer of the catalog the project starts from.
type From struct {
	Name string
	// File names the layer's file as positions print it.
	File string
	// Text is the layer's document as written in its file, and NameLine and
	// NameCol the position of its name's value in Text (1-based).
	Text              []byte
	NameLine, NameCol int
	// Files are the files its copy steps take; Path is relative to the
	// layer's folder.
	Files []File
}

// Options describe the project.
type Options struct {
	// Name names the project's layer, its folder and its documentation.
	Name string
	// Base is the image of the project's main stack.
	Base Base
	// Sim, when set, gets a second stack to try the recipe offline.
	Sim *Base
	// From starts the layer from a copy of a catalog layer.
	From *From
}

// File is a file of the project; Path is relative to the project's root.
type File struct {
	Path string
	Data []byte
	// Shared marks a file every project of the tree uses (the schema): it
	// is kept as it is when it exists.
	Shared bool
}

// SchemaFile is where the recipe JSON Schema goes, relative to the root;
// recipes point their editors at it.
const SchemaFile = "recipes/recipe.schema.json"

// StackName is the name of the project's stack on base.
func StackName(name, base string) string { return name + "-" + base }

// RecipeFile is where the project's recipe goes, relative to the root.
func RecipeFile(name string) string { return path.Join("recipes", name, name+".yaml") }

// project is what the templates read.
type project struct {
	Options
	Stack, SimStack string
	NameRE, HomeRE  string
	Home, EnvPrefix string
	Requires        string
	RecipeToSchema  string
	FromDescription string
}

// Files makes every file of the project: the recipe, the files a copied
// layer takes, the documentation and the schema.
func Files(o Options) ([]File, error) {
	p := project{
		Options: o, Stack: StackName(o.Name, o.Base.Name),
		Home: "/opt/" + o.Name, EnvPrefix: envPrefix(o.Name),
	}
	p.NameRE, p.HomeRE = regexp.QuoteMeta(o.Name), regexp.QuoteMeta(p.Home)
	if o.Sim != nil {
		p.SimStack = StackName(o.Name, o.Sim.Name)
	}
	p.Requires = requires(&o.Base, o.Sim)
	stacks, err := render("stacks.yaml.tmpl", p)
	if err != nil {
		return nil, err
	}
	var layer []byte
	if o.From != nil {
		layer, err = copiedLayer(o.Name, o.From)
	} else {
		layer, err = render("layer.yaml.tmpl", p)
	}
	if err != nil {
		return nil, err
	}
	schemaLine := "# yaml-language-server: $schema=../recipe.schema.json\n"
	files := []File{{Path: RecipeFile(o.Name), Data: append(append([]byte(schemaLine), layer...), stacks...)}}
	if o.From != nil {
		for _, f := range o.From.Files {
			files = append(files, File{Path: path.Join("recipes", o.Name, f.Path), Data: f.Data})
		}
	}
	for _, doc := range []struct{ tmpl, file string }{
		{"doc.md.tmpl", o.Name + ".md"},
		{"doc.zh-CN.md.tmpl", o.Name + ".zh-CN.md"},
	} {
		data, err := render(doc.tmpl, p)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: path.Join("docs", doc.file), Data: data})
	}
	schema, err := recipe.JSONSchema()
	if err != nil {
		return nil, err
	}
	return append(files, File{Path: SchemaFile, Data: schema, Shared: true}), nil
}

func render(name string, p project) ([]byte, error) {
	t, err := template.ParseFS(templates, "templates/"+name)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b.Bytes(), nil
}

// envPrefix turns a recipe name into the start of an environment variable
// name: letters upper case, anything else an underscore, never a digit
// first.
func envPrefix(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
	if s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return s
}

// requires is the MACA constraint of a new layer: the major and minor
// version of the oldest base it is stacked on, so that every stack of the
// project validates; ">=3.0" when no base declares one.
func requires(bases ...*Base) string {
	var oldest *recipe.Version
	for _, b := range bases {
		if b == nil || b.MACA == "" {
			continue
		}
		v, err := recipe.ParseVersion(b.MACA)
		if err == nil && (oldest == nil || v.Compare(*oldest) < 0) {
			oldest = &v
		}
	}
	if oldest == nil || len(oldest.Parts) < 2 {
		return ">=3.0"
	}
	return fmt.Sprintf(">=%d.%d", oldest.Parts[0], oldest.Parts[1])
}
