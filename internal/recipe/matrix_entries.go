package recipe

import (
	"slices"
)

// checkAxis checks an axis's values: some, each once, each with something
// to name a cell with.
func checkAxis(a Axis, errs *errorList) {
	if len(a.Values) == 0 && a.Name.Value != BaseAxis { // an empty base is reported as such
		errs.add(a.Name.Pos, a.Name.Value, "an axis needs at least one value")
	}
	seen := map[string]Str{}
	for _, val := range a.Values {
		if first, dup := seen[val.Value]; dup {
			errs.add(val.Pos, a.Name.Value, "value %s is listed twice (first on line %d)", quote(val.Value), first.Pos.Line)
			continue
		}
		seen[val.Value] = val
		checkNamePart(val, a.Name.Value, errs)
	}
}

// checkNamePart reports a value that gives a cell's name nothing.
func checkNamePart(val Str, axis string, errs *errorList) {
	if namePart(val.Value) == "" {
		errs.add(val.Pos, axis, "value %s has no letter or digit to name its cells with", quote(val.Value))
	}
}

// checkExclude checks every exclude entry against the axes and returns the
// test that drops a combination.
func checkExclude(m *Matrix, axes Axes, errs *errorList) func(combo) bool {
	type rule map[int]string // axis index → value
	var rules []rule
	for i, entry := range m.Exclude {
		if len(entry) == 0 {
			errs.add(m.Header.Name.Pos, "exclude", "entry %d is empty, which would drop every cell", i+1)
			continue
		}
		r := rule{}
		for _, kv := range entry {
			ai, ok := axisIndex(axes, kv.Key, errs, "exclude")
			if !ok {
				continue
			}
			if !slices.ContainsFunc(axes[ai].Values, func(v Str) bool { return v.Value == kv.Value.Value }) {
				errs.add(kv.Value.Pos, kv.Key.Value, "%s is not a value of axis %s, so this entry would exclude nothing%s", quote(kv.Value.Value), quote(kv.Key.Value), didYouMean(kv.Value.Value, values(axes[ai].Values)))
				continue
			}
			r[ai] = kv.Value.Value
		}
		rules = append(rules, r)
	}
	return func(c combo) bool {
		for _, r := range rules {
			all := true
			for ai, val := range r {
				all = all && c[ai].Value == val
			}
			if all {
				return true
			}
		}
		return false
	}
}

// checkInclude checks the include entries, each of which must give a value
// for every axis, and returns them with where each is written.
func checkInclude(m *Matrix, axes Axes, errs *errorList) ([]combo, []Pos) {
	var combos []combo
	var at []Pos
	for i, entry := range m.Include {
		if len(entry) == 0 {
			errs.add(m.Header.Name.Pos, "include", "entry %d is empty; give base and a value for every axis", i+1)
			continue
		}
		c := make(combo, len(axes))
		ok := true
		for _, kv := range entry {
			ai, known := axisIndex(axes, kv.Key, errs, "include")
			if !known {
				ok = false
				continue
			}
			c[ai] = kv.Value
			checkNamePart(kv.Value, kv.Key.Value, errs)
		}
		var missing []string
		for ai, a := range axes {
			if c[ai].Pos.IsZero() {
				missing = append(missing, a.Name.Value)
			}
		}
		if len(missing) > 0 {
			errs.add(entry[0].Key.Pos, "include", "the entry gives no value for %s; an included cell names a value of every axis", joinOr(missing))
			ok = false
		}
		if ok {
			combos = append(combos, c)
			at = append(at, entry[0].Key.Pos)
		}
	}
	return combos, at
}

func axisIndex(axes Axes, key Str, errs *errorList, field string) (int, bool) {
	for i, a := range axes {
		if a.Name.Value == key.Value {
			return i, true
		}
	}
	names := make([]string, len(axes))
	for i, a := range axes {
		names[i] = a.Name.Value
	}
	errs.add(key.Pos, field, "%s is not an axis of this matrix; it has %s%s", quote(key.Value), joinOr(names), didYouMean(key.Value, names))
	return 0, false
}
