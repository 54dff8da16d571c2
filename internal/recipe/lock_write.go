package recipe

import (
	"bytes"
	"cmp"
	"fmt"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

// lockHeader opens every lock file.
const lockHeader = `Written by macabox lock: the exact identity of every input of this target.
A locked build (--locked) uses exactly these; refresh with macabox lock --update.`

// Encode writes the lock as YAML, in a form that depends on nothing but its
// content: lists are sorted (steps keep the plan's order, which the ids
// encode), fields keep the order of the format, empty fields are left out,
// and positions are not written. Encoding a lock read back from its own
// output gives the same bytes.
func (l *Lock) Encode() ([]byte, error) {
	c := *l
	c.APIVersion, c.Kind = Str{Value: APIVersion}, Str{Value: string(KindLock)}
	c.Bases = slices.Clone(l.Bases)
	slices.SortFunc(c.Bases, func(a, b LockedBase) int { return cmp.Compare(a.Ref.Value, b.Ref.Value) })
	c.Args = slices.Clone(l.Args)
	slices.SortFunc(c.Args, func(a, b LockedArg) int { return cmp.Compare(a.Name.Value, b.Name.Value) })
	c.Steps = make([]LockedStep, len(l.Steps))
	for i, s := range l.Steps {
		s.Packages = slices.Clone(s.Packages)
		slices.SortFunc(s.Packages, func(a, b LockedPackage) int {
			return cmp.Or(cmp.Compare(a.Name.Value, b.Name.Value), cmp.Compare(a.Arch.Value, b.Arch.Value))
		})
		if s.Git != nil {
			g := *s.Git
			g.Submodules = slices.Clone(g.Submodules)
			slices.SortFunc(g.Submodules, func(a, b LockedSubmodule) int { return cmp.Compare(a.Path.Value, b.Path.Value) })
			s.Git = &g
		}
		c.Steps[i] = s
	}
	c.Unlocked = slices.Clone(l.Unlocked)
	slices.SortStableFunc(c.Unlocked, func(a, b Unlocked) int { return cmp.Compare(a.Pos.Value, b.Pos.Value) })

	root := encodeNode(reflect.ValueOf(c), typeTable{})
	root.HeadComment = lockHeader
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encoding the lock of %s: %w", l.Target.Value, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeNode turns a value of the tagged model into a YAML node, driven by
// the same tags as the decoder.
func encodeNode(v reflect.Value, types typeTable) *yaml.Node {
	switch v.Type() {
	case strType:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v.Interface().(Str).Value}
	case boolType:
		b := v.Interface().(Bool).Value
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
	case intType:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(v.Interface().(Int).Value)}
	}
	switch v.Kind() {
	case reflect.Pointer:
		return encodeNode(v.Elem(), types)
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range v.Len() {
			n.Content = append(n.Content, encodeNode(v.Index(i), types))
		}
		return n
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, f := range types.get(v.Type()).Fields {
			fv := v.FieldByIndex(f.Index)
			if isEmpty(fv) {
				continue
			}
			n.Content = append(n.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Key},
				encodeNode(fv, types))
		}
		return n
	}
	panic(fmt.Sprintf("recipe: no encoder for %s", v.Type()))
}

func isEmpty(v reflect.Value) bool {
	switch v.Type() {
	case strType:
		return v.Interface().(Str).Value == ""
	}
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil()
	case reflect.Slice:
		return v.Len() == 0
	}
	return v.IsZero()
}
