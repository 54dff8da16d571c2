package recipe

import (
	"reflect"
	"strings"
)

// fieldInfo is what the struct tags of one recipe field say. The decoder, the
// JSON Schema and the format reference are all driven from it, so they agree
// by construction.
type fieldInfo struct {
	Key      string
	Index    []int
	Type     reflect.Type
	Required bool
	Doc      string
	Enum     []string
	OneOf    string // group name; exactly one field of a group must be present
	Scalar   bool   // receives the value when the whole struct is written as a scalar or sequence
	Vars     string // "" (${NAME} refers to an arg), "shell" or "none"; see types.go
	Text     string // "" (no rule), "line" or "paragraph"; see text.go
}

// structInfo describes a recipe struct type.
type structInfo struct {
	Type   reflect.Type
	Fields []*fieldInfo // in declaration order, inline fields expanded in place
	byKey  map[string]*fieldInfo
	// PosIndex locates a `Pos` field tagged yaml:"-", filled with the
	// position of the mapping itself; nil when the struct has none.
	PosIndex []int
}

var (
	posType      = reflect.TypeFor[Pos]()
	strType      = reflect.TypeFor[Str]()
	intType      = reflect.TypeFor[Int]()
	floatType    = reflect.TypeFor[Float]()
	boolType     = reflect.TypeFor[Bool]()
	durationType = reflect.TypeFor[Duration]()
	mapType      = reflect.TypeFor[Map]()
)

// inspect reads the tags of a struct type. The model is small, so this is cheap
// enough to do per use; the result is kept in a per-decoder table, not a global.
func inspect(t reflect.Type) *structInfo {
	si := &structInfo{Type: t, byKey: map[string]*fieldInfo{}}
	collectFields(si, t, nil)
	return si
}

func collectFields(si *structInfo, t reflect.Type, prefix []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			if f.Type == posType {
				si.PosIndex = index
			}
			continue
		}
		if f.Anonymous && opts == "inline" {
			collectFields(si, f.Type, index)
			continue
		}
		if name == "" || !f.IsExported() {
			continue
		}
		fi := &fieldInfo{
			Key:      name,
			Index:    index,
			Type:     f.Type,
			Required: f.Tag.Get("required") == "true",
			Doc:      f.Tag.Get("doc"),
			OneOf:    f.Tag.Get("oneof"),
			Scalar:   f.Tag.Get("scalar") == "true",
			Vars:     f.Tag.Get("vars"),
			Text:     f.Tag.Get("text"),
		}
		if e := f.Tag.Get("enum"); e != "" {
			fi.Enum = strings.Split(e, ",")
		}
		si.Fields = append(si.Fields, fi)
		si.byKey[name] = fi
	}
}

// field returns the field for a key.
func (si *structInfo) field(key string) (*fieldInfo, bool) {
	fi, ok := si.byKey[key]
	return fi, ok
}

// keys lists the accepted keys in declaration order.
func (si *structInfo) keys() []string {
	out := make([]string, len(si.Fields))
	for i, f := range si.Fields {
		out[i] = f.Key
	}
	return out
}

// scalarField is the field a shorthand value goes to, if the struct has one.
func (si *structInfo) scalarField() *fieldInfo {
	for _, f := range si.Fields {
		if f.Scalar {
			return f
		}
	}
	return nil
}

// oneOfGroups lists the oneof groups with their fields, in declaration order.
func (si *structInfo) oneOfGroups() (names []string, groups map[string][]*fieldInfo) {
	groups = map[string][]*fieldInfo{}
	for _, f := range si.Fields {
		if f.OneOf == "" {
			continue
		}
		if _, ok := groups[f.OneOf]; !ok {
			names = append(names, f.OneOf)
		}
		groups[f.OneOf] = append(groups[f.OneOf], f)
	}
	return names, groups
}

// typeTable memoizes inspect for one decoder or generator run.
type typeTable map[reflect.Type]*structInfo

func (tt typeTable) get(t reflect.Type) *structInfo {
	if si, ok := tt[t]; ok {
		return si
	}
	si := inspect(t)
	tt[t] = si
	return si
}
