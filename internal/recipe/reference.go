package recipe

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"text/template"
)

// File names of the generated references under docs/reference.
const (
	SchemaFile    = "recipe.schema.json"
	ReferenceFile = "recipe-format.md"
)

// FormatReference returns the Markdown reference of the recipe format: a
// hand-written introduction with examples, then every kind and every field,
// generated from the same struct tags as the decoder and the schema.
func FormatReference() ([]byte, error) {
	tmpl, err := template.New("reference").Parse(referenceTemplate)
	if err != nil {
		return nil, fmt.Errorf("parsing the reference template: %w", err)
	}
	data := map[string]any{
		"APIVersion":      APIVersion,
		"Builtins":        "`" + strings.Join(BuiltinArgs(), "`, `") + "`",
		"InheritedEnv":    "`" + strings.Join(InheritedEnv(), "`, `") + "`",
		"MaxFileSize":     MaxFileSize,
		"MaxDocuments":    MaxDocuments,
		"MaxDepth":        MaxDepth,
		"MaxTreeEntries":  MaxTreeEntries,
		"MaxCells":        MaxCells,
		"MaxCombinations": MaxCombinations,
		"Types":           referenceTables(),
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("rendering the recipe reference: %w", err)
	}
	return b.Bytes(), nil
}

// referenceTables renders one section per struct type, kinds first, the rest
// in the order they are first reached.
func referenceTables() string {
	types := typeTable{}
	var order []reflect.Type
	seen := map[reflect.Type]bool{}
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for !isScalarType(t) && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || isScalarType(t) || seen[t] {
			return
		}
		seen[t] = true
		order = append(order, t)
	}
	for _, kt := range kinds() {
		visit(kt.Type)
	}
	for i := 0; i < len(order); i++ {
		for _, f := range types.get(order[i]).Fields {
			visit(f.Type)
		}
	}
	var b strings.Builder
	for _, t := range order {
		writeTypeSection(&b, types.get(t))
	}
	return b.String()
}

func isScalarType(t reflect.Type) bool {
	switch t {
	case strType, intType, floatType, boolType, durationType, mapType, axesType, posType:
		return true
	}
	return false
}

func writeTypeSection(b *strings.Builder, si *structInfo) {
	fmt.Fprintf(b, "### %s\n\n", si.Type.Name())
	for _, kt := range kinds() {
		if kt.Type == si.Type {
			fmt.Fprintf(b, "A document with `kind: %s`.\n\n", kt.Kind)
		}
	}
	if sf := si.scalarField(); sf != nil {
		form := "a string"
		if sf.Type.Kind() == reflect.Slice {
			form = "a list"
		}
		fmt.Fprintf(b, "Shorthand: %s instead of the mapping stands for its `%s`.\n\n", form, sf.Key)
	}
	names, groups := si.oneOfGroups()
	for _, g := range names {
		var keys []string
		for _, f := range groups[g] {
			keys = append(keys, "`"+f.Key+"`")
		}
		fmt.Fprintf(b, "Exactly one of %s.\n\n", strings.Join(keys, ", "))
	}
	b.WriteString("| Field | Type | Required | `${NAME}` | Description |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, f := range si.Fields {
		req := ""
		if f.Required {
			req = "yes"
		}
		doc := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(f.Doc)
		if f.Enum != nil {
			doc += "; one of `" + strings.Join(f.Enum, "`, `") + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", f.Key, typeName(f.Type), req, refsColumn(f), doc)
	}
	b.WriteString("\n")
}

// refsColumn says whether ${NAME} in the field refers to a build argument.
func refsColumn(f *fieldInfo) string {
	if !holdsText(f.Type) {
		return ""
	}
	switch f.Vars {
	case "shell":
		return "shell"
	case "none":
		return "no"
	}
	return "yes"
}

func holdsText(t reflect.Type) bool {
	for t != mapType && t != axesType && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	return t == strType || t == mapType || t == axesType
}

// typeName renders a field type for the reference tables.
func typeName(t reflect.Type) string {
	switch t {
	case strType:
		return "string"
	case intType:
		return "integer"
	case floatType:
		return "number"
	case boolType:
		return "boolean"
	case durationType:
		return "duration"
	case mapType:
		return "map of string"
	case axesType:
		return "map of list of string"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Slice:
		return "list of " + typeName(t.Elem())
	}
	return fmt.Sprintf("[%s](#%s)", t.Name(), strings.ToLower(t.Name()))
}
