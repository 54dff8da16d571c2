package recipe

import (
	"reflect"

	"go.yaml.in/yaml/v3"
)

var axesType = reflect.TypeFor[Axes]()

// axes reads a matrix's axes: a mapping of names to lists of values. Values
// may be written as numbers or booleans and keep their source text, as the
// values of args do, since they become args.
func (d *decoder) axes(n *yaml.Node, v reflect.Value, t target) bool {
	if n.Kind != yaml.MappingNode {
		d.mismatch(n, t, "a mapping of names to lists of values")
		return false
	}
	out := make(Axes, 0, len(n.Content)/2)
	seen := map[string]*yaml.Node{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, list := n.Content[i], n.Content[i+1]
		name, kok := d.key(k, seen, t.key)
		if !kok {
			ok = false
			continue
		}
		if list.Kind != yaml.SequenceNode {
			d.mismatch(list, target{key: name}, "a list of values")
			ok = false
			continue
		}
		a := Axis{Name: Str{Value: name, Pos: d.pos(k)}, Values: make([]Str, 0, len(list.Content))}
		for _, item := range list.Content {
			if item.Kind != yaml.ScalarNode || !isPlainScalarTag(item.Tag) {
				d.mismatch(item, target{key: name}, "a string, number or boolean")
				ok = false
				continue
			}
			a.Values = append(a.Values, Str{Value: item.Value, Pos: d.pos(item)})
		}
		out = append(out, a)
	}
	v.Set(reflect.ValueOf(out))
	return ok
}
