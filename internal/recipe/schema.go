package recipe

//go:generate go run ./gendocs -out ../../docs/reference

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// SchemaID is the $id of the generated JSON Schema.
const SchemaID = "https://github.com/ccf-ai-infra/macabox/blob/main/docs/reference/recipe.schema.json"

// durationPattern is what time.ParseDuration accepts, for editors; Validate
// parses durations for real.
const durationPattern = `^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$`

// JSONSchema returns the JSON Schema (draft 2020-12) of one recipe document,
// generated from the struct tags the decoder uses. The output is
// deterministic: encoding/json sorts object keys.
func JSONSchema() ([]byte, error) {
	g := &schemaGen{types: typeTable{}, defs: map[string]any{}}
	var kindRefs []any
	for _, kt := range kinds() {
		kindRefs = append(kindRefs, g.typeSchema(kt.Type))
	}
	root := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "macabox recipe",
		"description": fmt.Sprintf("One document of a macabox recipe file (%s). Generated from internal/recipe; do not edit.", APIVersion),
		"oneOf":       kindRefs,
		"$defs":       g.defs,
	}
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the recipe schema: %w", err)
	}
	return append(out, '\n'), nil
}

// schemaGen collects the $defs while walking the model.
type schemaGen struct {
	types typeTable
	defs  map[string]any
}

// typeSchema is the schema of a field type, without its description.
func (g *schemaGen) typeSchema(t reflect.Type) map[string]any {
	switch t {
	case strType:
		return map[string]any{"type": "string"}
	case durationType:
		return map[string]any{"type": "string", "pattern": durationPattern}
	case intType:
		return map[string]any{"type": "integer"}
	case floatType:
		return map[string]any{"type": "number"}
	case boolType:
		return map[string]any{"type": "boolean"}
	case mapType:
		// Values may be numbers or booleans; the decoder keeps their text.
		return map[string]any{
			"type":                 "object",
			"additionalProperties": map[string]any{"type": []string{"string", "number", "boolean"}},
		}
	case axesType:
		return map[string]any{
			"type": "object",
			"additionalProperties": map[string]any{
				"type":     "array",
				"minItems": 1,
				"items":    map[string]any{"type": []string{"string", "number", "boolean"}},
			},
		}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.typeSchema(t.Elem())
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typeSchema(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // reserve the name: the model may refer to itself
			g.defs[name] = g.structSchema(t)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	panic(fmt.Sprintf("recipe: no schema for %s", t))
}

// fieldSchema adds what the tags say about one field to its type's schema.
func (g *schemaGen) fieldSchema(f *fieldInfo) map[string]any {
	s := g.typeSchema(f.Type)
	if f.Enum != nil {
		target := s
		if s["type"] == "array" {
			target = s["items"].(map[string]any)
		}
		target["enum"] = f.Enum
	}
	if d := f.Doc; d != "" {
		if _, isRef := s["$ref"]; isRef {
			// Siblings of $ref are allowed in 2020-12, and editors show them.
			s = map[string]any{"$ref": s["$ref"], "description": d}
		} else {
			s["description"] = d
		}
	}
	return s
}

func (g *schemaGen) structSchema(t reflect.Type) map[string]any {
	si := g.types.get(t)
	props := map[string]any{}
	var required []string
	for _, f := range si.Fields {
		props[f.Key] = g.fieldSchema(f)
		if f.Required {
			required = append(required, f.Key)
		}
	}
	for _, kt := range kinds() {
		if kt.Type == t {
			props["apiVersion"] = map[string]any{"const": APIVersion, "description": "recipe format version"}
			props["kind"] = map[string]any{"const": string(kt.Kind), "description": "document kind"}
		}
	}
	obj := map[string]any{
		"type":                 "object",
		"title":                t.Name(),
		"properties":           props,
		"additionalProperties": false,
	}
	if required != nil {
		obj["required"] = required
	}
	names, groups := si.oneOfGroups()
	var exactlyOne []any
	for _, name := range names {
		var alts []any
		for _, f := range groups[name] {
			alts = append(alts, map[string]any{"required": []string{f.Key}})
		}
		exactlyOne = append(exactlyOne, map[string]any{"oneOf": alts})
	}
	switch len(exactlyOne) {
	case 0:
	case 1:
		obj["oneOf"] = exactlyOne[0].(map[string]any)["oneOf"]
	default:
		obj["allOf"] = exactlyOne
	}
	sf := si.scalarField()
	if sf == nil {
		return obj
	}
	short := g.typeSchema(sf.Type)
	short["description"] = "shorthand for {" + sf.Key + ": ...}"
	return map[string]any{"title": t.Name(), "oneOf": []any{short, obj}}
}
