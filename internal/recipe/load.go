package recipe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// kindType pairs a document kind with the struct it decodes into.
type kindType struct {
	Kind Kind
	Type reflect.Type
}

// kinds lists the document kinds in the order docs present them.
func kinds() []kindType {
	return []kindType{
		{KindImage, reflect.TypeFor[Image]()},
		{KindLayer, reflect.TypeFor[Layer]()},
		{KindStack, reflect.TypeFor[Stack]()},
		{KindMatrix, reflect.TypeFor[Matrix]()},
	}
}

// Dir is the folder of the file the document was read from; copy sources are
// relative to it.
func (d *Document) Dir() string { return filepath.Dir(d.File) }

// Kind is the document's kind.
func (d *Document) Kind() Kind {
	switch {
	case d.Image != nil:
		return KindImage
	case d.Layer != nil:
		return KindLayer
	case d.Stack != nil:
		return KindStack
	case d.Matrix != nil:
		return KindMatrix
	}
	return ""
}

// Name is the document's name.
func (d *Document) Name() string {
	if h := d.Header(); h != nil {
		return h.Name.Value
	}
	return ""
}

// loadFile checks that f may be read (see LoadPaths) and loads it: every
// document of the file, with the problems found as Errors beside those
// that could be read, so that validation can still report further problems
// in the same run. Files larger than MaxFileSize are refused unread.
func loadFile(f recipeFile) ([]*Document, error) {
	problem := func(format string, args ...any) ([]*Document, error) {
		return nil, Errors{{Pos: Pos{File: f.path, Line: 1, Col: 1}, Msg: fmt.Sprintf(format, args...)}}
	}
	below, err := filepath.Rel(f.folder, f.path)
	if err != nil {
		below = filepath.Base(f.path)
	}
	if what := findNonPrinting(below, ""); what != "" {
		return problem("the path holds %s; rename it, since recipe paths are written into generated scripts and documents", what)
	}
	folder, err := filepath.Abs(f.folder)
	if err != nil {
		return nil, err
	}
	realFolder, err := filepath.EvalSymlinks(folder)
	if err != nil {
		return nil, fmt.Errorf("reading recipe %q: %w", f.path, err)
	}
	real, info, err := resolveInside(realFolder, f.path)
	switch {
	case errors.Is(err, errDangling):
		return problem("%s", err)
	case errors.Is(err, errOutside):
		return problem("a symlink that leads outside %q; a recipe file is read only inside the folder it is found in", folder)
	case err != nil:
		return nil, fmt.Errorf("reading recipe %q: %w", f.path, err)
	case !info.Mode().IsRegular() && real != f.path:
		return problem("a symlink to %s; only regular files are read as recipes", kindOf(info.Mode()))
	case !info.Mode().IsRegular():
		return problem("%s, not a regular file; only regular files are read as recipes", kindOf(info.Mode()))
	}
	// Read one byte past the limit, so that an oversized (or endless) file is
	// refused by Load with the usual positioned error.
	data, err := readRegular(real, info, MaxFileSize+1)
	var refused fileProblem
	if errors.As(err, &refused) {
		return problem("%s", refused)
	}
	if err != nil {
		return nil, fmt.Errorf("reading recipe %q: %w", f.path, err)
	}
	return Load(f.path, data)
}

// Load decodes every document in data; file names the source in positions.
// Empty documents are skipped. See loadFile for what is returned on error.
func Load(file string, data []byte) ([]*Document, error) {
	errs := &errorList{}
	docs := load(file, data, errs)
	return docs, capErrors(errs.errs).Err()
}

func load(file string, data []byte, errs *errorList) []*Document {
	if !checkText(file, data, errs) {
		return nil
	}
	d := &decoder{file: file, types: typeTable{}, errs: errs}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*Document
	for count := 0; !d.full(); count++ {
		var n yaml.Node
		err := parse(dec, &n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			pos, msg := parseErrorPos(file, err.Error())
			errs.add(pos, "", "invalid YAML: %s", msg)
			break
		}
		if count == MaxDocuments {
			errs.add(d.pos(&n), "", "more than %d documents in one file", MaxDocuments)
			break
		}
		if doc := d.document(&n); doc != nil {
			docs = append(docs, doc)
		}
	}
	return docs
}

// parse reads the next document. yaml.v3 has panicked on malformed input in
// the past; a panic here becomes an error so that hostile input cannot crash
// the program.
func parse(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failure: %v", r)
		}
	}()
	return dec.Decode(n)
}

// document decodes one YAML document: the header first, to learn the kind,
// then the kind's struct. It returns nil for an empty document or one whose
// header could not be read.
func (d *decoder) document(n *yaml.Node) *Document {
	if len(n.Content) == 0 {
		return nil
	}
	root := n.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" && root.Anchor == "" {
		return nil
	}
	if !d.checkTree(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		d.errs.add(d.pos(root), "", "a recipe document must be a mapping, found %s", describeRoot(root))
		return nil
	}
	kt, ok := d.header(root)
	if !ok {
		return nil
	}
	v := reflect.New(kt.Type)
	d.decode(root, v.Elem(), target{})
	doc := &Document{File: d.file, Pos: d.pos(root)}
	switch x := v.Interface().(type) {
	case *Image:
		doc.Image = x
	case *Layer:
		doc.Layer = x
	case *Stack:
		doc.Stack = x
	case *Matrix:
		doc.Matrix = x
	}
	return doc
}

// header reads apiVersion and kind. A document of another version or an
// unknown kind is not decoded further: its fields would mean something else.
func (d *decoder) header(root *yaml.Node) (kindType, bool) {
	var version, kind *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		switch {
		case k.Kind != yaml.ScalarNode:
		case k.Value == "apiVersion" && version == nil:
			version = root.Content[i+1]
		case k.Value == "kind" && kind == nil:
			kind = root.Content[i+1]
		}
	}
	ok := true
	switch {
	case version == nil:
		d.errs.add(d.pos(root), "apiVersion", "missing required field (apiVersion: %s)", APIVersion)
		ok = false
	case version.Kind != yaml.ScalarNode || version.Tag != "!!str":
		d.mismatch(version, target{key: "apiVersion"}, "a string")
		ok = false
	case version.Value != APIVersion:
		d.errs.add(d.pos(version), "apiVersion", "unsupported version %s; this release reads %s", quote(version.Value), APIVersion)
		ok = false
	}
	var names []string
	var found kindType
	for _, kt := range kinds() {
		names = append(names, string(kt.Kind))
		if kind != nil && kind.Value == string(kt.Kind) {
			found = kt
		}
	}
	switch {
	case kind == nil:
		d.errs.add(d.pos(root), "kind", "missing required field (one of %s)", joinOr(names))
		ok = false
	case kind.Kind != yaml.ScalarNode || kind.Tag != "!!str":
		d.mismatch(kind, target{key: "kind"}, "a string")
		ok = false
	case found.Type == nil:
		d.errs.add(d.pos(kind), "kind", "unknown kind %s; expected %s%s", quote(kind.Value), joinOr(names), didYouMean(kind.Value, names))
		ok = false
	}
	return found, ok
}

// capErrors keeps the first maxErrorsPerFile problems and says that more were
// dropped.
func capErrors(errs Errors) Errors {
	if len(errs) < maxErrorsPerFile {
		return errs
	}
	kept := errs.Sorted()[:maxErrorsPerFile]
	last := kept[len(kept)-1]
	return append(kept, &Error{Pos: last.Pos, Msg: fmt.Sprintf("too many problems; stopped after %d", maxErrorsPerFile)})
}

// joinOr renders a list as "a, b or c".
func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := ""
	for i, s := range items[:len(items)-1] {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out + " or " + items[len(items)-1]
}
