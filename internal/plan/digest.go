package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// inputsFormat names the canonical form hashed into InputsDigest; change it
// whenever that form changes, so that old and new digests never compare equal.
const inputsFormat = "macabox-inputs/v1"

// inputsDigest hashes what the image is built from: the documents of the
// target (as values, without positions, so that comments and reformatting do
// not change it), the build context (names, modes, content digests) and the
// final argument values. encoding/json sorts map keys, which makes the
// serialization canonical.
func inputsDigest(p *Plan, units []*unit) (string, error) {
	docs := make([]any, 0, len(units))
	for _, u := range units {
		docs = append(docs, map[string]any{
			"kind": string(u.kind),
			"doc":  canonical(reflect.ValueOf(documentBody(u.doc))),
		})
	}
	files := make([]any, 0, len(p.Context))
	for _, f := range p.Context {
		files = append(files, []any{f.Name, f.Mode, f.SHA256})
	}
	args := make([]any, 0, len(p.Args))
	for _, a := range p.Args {
		args = append(args, []string{a.Name, a.Value})
	}
	data, err := json.Marshal(map[string]any{
		"format":    inputsFormat,
		"target":    p.Target,
		"documents": docs,
		"context":   files,
		"args":      args,
	})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func documentBody(d *recipe.Document) any {
	switch {
	case d.Image != nil:
		return d.Image
	case d.Layer != nil:
		return d.Layer
	case d.Stack != nil:
		return d.Stack
	}
	return nil
}

var (
	posType      = reflect.TypeFor[recipe.Pos]()
	strType      = reflect.TypeFor[recipe.Str]()
	intType      = reflect.TypeFor[recipe.Int]()
	floatType    = reflect.TypeFor[recipe.Float]()
	boolType     = reflect.TypeFor[recipe.Bool]()
	durationType = reflect.TypeFor[recipe.Duration]()
)

// canonical turns a recipe value into plain maps, lists and scalars without
// positions. A scalar counts when it was written or is not empty, so that
// `noRecommends: false` and an absent noRecommends (which defaults to true)
// stay different. It returns nil for what is absent.
func canonical(v reflect.Value) any {
	switch v.Type() {
	case posType:
		return nil
	case strType, durationType:
		if v.Field(0).String() == "" && v.Field(1).IsZero() {
			return nil
		}
		return v.Field(0).String()
	case intType:
		if v.Field(1).IsZero() && v.Field(0).Int() == 0 {
			return nil
		}
		return v.Field(0).Int()
	case floatType:
		if v.Field(1).IsZero() && v.Field(0).Float() == 0 {
			return nil
		}
		return v.Field(0).Float()
	case boolType:
		if v.Field(1).IsZero() && !v.Field(0).Bool() {
			return nil
		}
		return v.Field(0).Bool()
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return canonical(v.Elem())
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = canonical(v.Index(i))
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if c := canonical(v.Field(i)); c != nil {
				out[f.Name] = c
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int64, reflect.Int32:
		return v.Int()
	}
	return nil
}
