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
	out := make(Axes, 0, len(n.Content)/2)
	ok := d.entries(n, t, "a mapping of names to lists of values", func(name string, k, list *yaml.Node) bool {
		if list.Kind != yaml.SequenceNode {
			d.mismatch(list, target{key: name}, "a list of values")
			return false
		}
		a := Axis{Name: Str{Value: name, Pos: d.pos(k)}, Values: make([]Str, 0, len(list.Content))}
		good := true
		for _, item := range list.Content {
			s, sok := d.plainScalar(item, name)
			if sok {
				a.Values = append(a.Values, s)
			}
			good = good && sok
		}
		out = append(out, a)
		return good
	})
	if n.Kind == yaml.MappingNode {
		v.Set(reflect.ValueOf(out))
	}
	return ok
}
