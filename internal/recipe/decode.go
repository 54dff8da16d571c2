package recipe

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder fills the recipe model from a yaml.Node tree by hand, because
// yaml.v3's own decoding cannot report duplicate keys inside a Node, does not
// keep positions, and stops at the first error. Struct tags (see fields.go)
// say what is allowed, so this file holds no knowledge of particular kinds.
// No decoding library in the module graph keeps a position on every field
// and reports every problem at once, which is what recipe messages need.
type decoder struct {
	file  string
	types typeTable
	errs  *errorList
}

// full reports whether the file has as many problems as are worth reporting;
// decoding stops there, so a file of garbage costs little.
func (d *decoder) full() bool { return len(d.errs.errs) >= maxErrorsPerFile }

func (d *decoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

// target says what a value is decoded for, for messages, enum checks and
// text rules.
type target struct {
	key  string
	enum []string
	text string
}

// decode fills v from n and reports whether it could; on failure an error
// has been recorded.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, t target) bool {
	switch v.Type() {
	case strType:
		s, ok := d.str(n, t, "a string")
		if ok {
			v.Set(reflect.ValueOf(s))
		}
		return ok
	case durationType:
		s, ok := d.str(n, t, "a duration such as 90s or 15m")
		if ok {
			v.Set(reflect.ValueOf(Duration(s)))
		}
		return ok
	case intType:
		return d.int(n, v, t)
	case floatType:
		return d.float(n, v, t)
	case boolType:
		return d.bool(n, v, t)
	case mapType:
		return d.stringMap(n, v, t)
	case axesType:
		return d.axes(n, v, t)
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if !d.decode(n, elem.Elem(), t) {
			return false
		}
		v.Set(elem)
		return true
	case reflect.Slice:
		return d.sequence(n, v, t)
	case reflect.Struct:
		return d.structure(n, v, t)
	}
	panic(fmt.Sprintf("recipe: no decoder for %s", v.Type()))
}

func (d *decoder) str(n *yaml.Node, t target, want string) (Str, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.mismatch(n, t, want)
		return Str{}, false
	}
	s := Str{Value: n.Value, Pos: d.pos(n)}
	if t.text != "" {
		// A value that breaks its text rule is dropped: it is left zero (and
		// left out of a list), so that nothing downstream ever holds it. The
		// mapping around it is kept, so the rest of it is still checked.
		if err := checkTextRule(t.text, n.Value); err != nil {
			d.errs.add(s.Pos, t.key, "%s", err)
			return Str{}, true
		}
	}
	if t.enum != nil && !contains(t.enum, n.Value) {
		d.errs.add(s.Pos, t.key, "unknown value %s; expected %s%s", quote(n.Value), joinOr(t.enum), didYouMean(n.Value, t.enum))
	}
	return s, true
}

func (d *decoder) int(n *yaml.Node, v reflect.Value, t target) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.mismatch(n, t, "an integer")
		return false
	}
	// Base 0 accepts YAML's 0x/0o/0b forms; 32 bits keeps values portable.
	i, err := strconv.ParseInt(n.Value, 0, 32)
	if err != nil {
		d.errs.add(d.pos(n), t.key, "integer %s is out of range", quote(n.Value))
		return false
	}
	v.Set(reflect.ValueOf(Int{Value: int(i), Pos: d.pos(n)}))
	return true
}

// float reads a number written as an integer or a decimal. NaN and the
// infinities are refused: no tolerance or ratio means anything as one.
func (d *decoder) float(n *yaml.Node, v reflect.Value, t target) bool {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
		d.mismatch(n, t, "a number")
		return false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.errs.add(d.pos(n), t.key, "%s is not a finite number", quote(n.Value))
		return false
	}
	v.Set(reflect.ValueOf(Float{Value: f, Pos: d.pos(n)}))
	return true
}

func (d *decoder) bool(n *yaml.Node, v reflect.Value, t target) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.mismatch(n, t, "a boolean (true or false)")
		return false
	}
	v.Set(reflect.ValueOf(Bool{Value: strings.EqualFold(n.Value, "true"), Pos: d.pos(n)}))
	return true
}

// stringMap reads a mapping of names to scalars. Values may be written as
// numbers or booleans (MACA_MPS_MODE: 1) and keep their source text, because
// environment-style blocks are read that way everywhere else.
func (d *decoder) stringMap(n *yaml.Node, v reflect.Value, t target) bool {
	m := make(Map, 0, len(n.Content)/2)
	ok := d.entries(n, t, "a mapping of names to values", func(name string, k, val *yaml.Node) bool {
		s, good := d.plainScalar(val, name)
		if good {
			m = append(m, KV{Key: Str{Value: name, Pos: d.pos(k)}, Value: s})
		}
		return good
	})
	if n.Kind == yaml.MappingNode {
		v.Set(reflect.ValueOf(m))
	}
	return ok
}

// entries calls each for every entry of a mapping whose key is good (see
// key), and reports whether every key and every call was.
func (d *decoder) entries(n *yaml.Node, t target, want string, each func(name string, k, val *yaml.Node) bool) bool {
	if n.Kind != yaml.MappingNode {
		d.mismatch(n, t, want)
		return false
	}
	seen := map[string]*yaml.Node{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name, kok := d.key(k, seen, t.key)
		ok = kok && each(name, k, val) && ok
	}
	return ok
}

// plainScalar reads a value that may be written as a string, number or
// boolean, keeping its source text.
func (d *decoder) plainScalar(n *yaml.Node, key string) (Str, bool) {
	if n.Kind != yaml.ScalarNode || !isPlainScalarTag(n.Tag) {
		d.mismatch(n, target{key: key}, "a string, number or boolean")
		return Str{}, false
	}
	return Str{Value: n.Value, Pos: d.pos(n)}, true
}

func isPlainScalarTag(tag string) bool {
	switch tag {
	case "!!str", "!!int", "!!float", "!!bool":
		return true
	}
	return false
}

// key checks a mapping key: a string, not seen before in the same mapping.
// yaml.v3 does not report duplicates when decoding into a Node, so this does.
func (d *decoder) key(k *yaml.Node, seen map[string]*yaml.Node, parent string) (string, bool) {
	if k.Tag == "!!merge" {
		d.errs.add(d.pos(k), parent, "merge keys (<<) are not supported; write the entries out")
		return "", false
	}
	if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
		d.errs.add(d.pos(k), parent, "keys must be strings, found %s", describe(k))
		return "", false
	}
	if first, dup := seen[k.Value]; dup {
		d.errs.add(d.pos(k), k.Value, "duplicate key; first set at line %d", first.Line)
		return "", false
	}
	seen[k.Value] = k
	return k.Value, true
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, t target) bool {
	if n.Kind != yaml.SequenceNode {
		d.mismatch(n, t, "a sequence")
		return false
	}
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	ok := true
	for _, item := range n.Content {
		if d.full() {
			return false
		}
		e := reflect.New(v.Type().Elem()).Elem()
		switch {
		case !d.decode(item, e, t):
			ok = false
		case !e.IsZero(): // zero: a value dropped by its text rule
			s = reflect.Append(s, e)
		}
	}
	v.Set(s)
	return ok
}

// structure decodes a mapping into a tagged struct, or a shorthand form into
// its scalar-tagged field.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, t target) bool {
	si := d.types.get(v.Type())
	if si.PosIndex != nil {
		v.FieldByIndex(si.PosIndex).Set(reflect.ValueOf(d.pos(n)))
	}
	if n.Kind != yaml.MappingNode {
		return d.shorthand(n, v, si, t)
	}
	seen := map[string]*yaml.Node{}
	present := map[string]*yaml.Node{}
	ok, unknown := true, false
	for i := 0; i+1 < len(n.Content); i += 2 {
		if d.full() {
			return false
		}
		k, val := n.Content[i], n.Content[i+1]
		key, kok := d.key(k, seen, t.key)
		if !kok {
			ok = false
			continue
		}
		fi, known := si.field(key)
		if !known {
			d.errs.add(d.pos(k), key, "unknown field%s", didYouMean(key, si.keys()))
			ok, unknown = false, true
			continue
		}
		present[key] = k
		if !d.decode(val, v.FieldByIndex(fi.Index), target{key: key, enum: fi.Enum, text: fi.Text}) {
			ok = false
		}
	}
	for _, fi := range si.Fields {
		if fi.Required && present[fi.Key] == nil {
			d.errs.add(d.pos(n), fi.Key, "missing required field")
			ok = false
		}
	}
	return d.checkOneOf(n, si, present, unknown) && ok
}

// shorthand decodes `run: "cmd"` or `apt: [a, b]` into the struct's scalar
// field.
func (d *decoder) shorthand(n *yaml.Node, v reflect.Value, si *structInfo, t target) bool {
	sf := si.scalarField()
	if sf == nil {
		d.mismatch(n, t, "a mapping")
		return false
	}
	short := "a string"
	if sf.Type.Kind() == reflect.Slice {
		short = "a sequence"
	}
	fits := (n.Kind == yaml.ScalarNode) == (sf.Type.Kind() != reflect.Slice) &&
		(n.Kind == yaml.ScalarNode || n.Kind == yaml.SequenceNode)
	if !fits {
		d.mismatch(n, t, "a mapping or "+short)
		return false
	}
	return d.decode(n, v.FieldByIndex(sf.Index), target{key: t.key, enum: sf.Enum, text: sf.Text})
}

// checkOneOf enforces that exactly one field of each oneof group is present.
// When the mapping had an unknown key, that key is most likely the misspelt
// kind, and its did-you-mean hint says more than "needs one of" would.
func (d *decoder) checkOneOf(n *yaml.Node, si *structInfo, present map[string]*yaml.Node, hadUnknown bool) bool {
	names, groups := si.oneOfGroups()
	ok := true
	for _, g := range names {
		keys := make([]string, len(groups[g]))
		for i, f := range groups[g] {
			keys[i] = f.Key
		}
		firstKey := ""
		for _, key := range keys {
			k := present[key]
			if k == nil {
				continue
			}
			if firstKey == "" {
				firstKey = key
				continue
			}
			d.errs.add(d.pos(k), key, "%s takes exactly one of %s; %q is already set on line %d",
				noun(si), strings.Join(keys, ", "), firstKey, present[firstKey].Line)
			ok = false
		}
		if firstKey == "" {
			if !hadUnknown {
				d.errs.add(d.pos(n), "", "%s needs exactly one of %s", noun(si), strings.Join(keys, ", "))
			}
			ok = false
		}
	}
	return ok
}

// noun names a struct in messages: "a step", "a test".
func noun(si *structInfo) string {
	if si.Type == reflect.TypeFor[Ready]() {
		return "a readiness check"
	}
	name := strings.ToLower(si.Type.Name())
	switch name[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + name
	}
	return "a " + name
}

func (d *decoder) mismatch(n *yaml.Node, t target, want string) {
	hint := ""
	if want == "a string" && n.Kind == yaml.ScalarNode && isPlainScalarTag(n.Tag) {
		hint = fmt.Sprintf(" (quote it: %s)", quote(n.Value))
	}
	d.errs.add(d.pos(n), t.key, "expected %s, found %s%s", want, describe(n), hint)
}

// describe names what a node holds, for "expected X, found Y" messages.
func describe(n *yaml.Node) string { return describeWith(n, quote) }

// describeRoot names what a document holds that is not a mapping. Such a file
// is most likely no recipe at all but whatever a link or a copy put in the
// tree, a credentials file say, so only an excerpt of it is shown.
func describeRoot(n *yaml.Node) string { return describeWith(n, excerpt) }

func describeWith(n *yaml.Node, quote func(string) string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.Tag {
	case "!!null":
		return "nothing (null)"
	case "!!str":
		return "the string " + quote(n.Value)
	case "!!int", "!!float":
		return "the number " + quote(n.Value)
	case "!!bool":
		return "the boolean " + n.Value
	case "!!timestamp":
		return "the timestamp " + quote(n.Value)
	}
	return "a value tagged " + quote(n.Tag)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
