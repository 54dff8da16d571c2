package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Mode is how a captured value is compared with the reference's.
type Mode string

const (
	// Exact: the same text line for line, or the same JSON value.
	Exact Mode = "exact"
	// Numeric: every number within the tolerance, the text around the
	// numbers the same.
	Numeric Mode = "numeric"
	// Similarity: a ratio of sameness at least the threshold, for output
	// where an exact match is wrong (OCR, an LLM's answer).
	Similarity Mode = "similarity"
)

// Modes lists the modes in the order messages name them.
func Modes() []Mode { return []Mode{Exact, Numeric, Similarity} }

// ParseMode reads a mode name; "" is Exact.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Exact, nil
	}
	for _, m := range Modes() {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown compare mode %q; expected exact, numeric or similarity", s)
}

// Rule is one comparison: its mode and the mode's limits.
type Rule struct {
	Mode Mode
	// Abs and Rel are a numeric comparison's tolerances: two numbers agree
	// when |got − reference| ≤ max(Abs, Rel × |reference|). Both 0 asks
	// for equal numbers.
	Abs, Rel float64
	// Threshold is a similarity comparison's least ratio, in [0, 1].
	Threshold float64
}

// Check reports what is wrong with a rule's limits.
func (r Rule) Check() error {
	var errs []error
	if _, err := ParseMode(string(r.Mode)); err != nil {
		errs = append(errs, err)
	}
	if r.Abs < 0 || math.IsNaN(r.Abs) || math.IsInf(r.Abs, 0) {
		errs = append(errs, fmt.Errorf("absolute tolerance %v must be a number ≥ 0", r.Abs))
	}
	if r.Rel < 0 || math.IsNaN(r.Rel) || math.IsInf(r.Rel, 0) {
		errs = append(errs, fmt.Errorf("relative tolerance %v must be a number ≥ 0", r.Rel))
	}
	if r.Threshold < 0 || r.Threshold > 1 || math.IsNaN(r.Threshold) {
		errs = append(errs, fmt.Errorf("similarity threshold %v must be between 0 and 1", r.Threshold))
	}
	return errors.Join(errs...)
}

// Field compares the value at one JSON path.
type Field struct {
	Path Path
	Rule Rule
}

// Spec is a whole comparison: the captured text under Rule, or, when Fields
// are given, the captured text read as JSON and each field under its rule.
type Spec struct {
	Rule   Rule
	Fields []Field
}

// Outcome is the judgement of one comparison.
type Outcome struct {
	OK bool
	// Summary says in one line what was found: the first difference, or
	// how close the sides were.
	Summary string
	// Fields has one entry per field compared; one entry with Path "" when
	// the whole text was.
	Fields []FieldOutcome
}

// FieldOutcome is one compared value.
type FieldOutcome struct {
	// Path is the JSON path as written, "" for the whole text.
	Path string
	Mode Mode
	OK   bool
	// Reference and Got are the two values, shortened for a report.
	Reference, Got string
	// Detail says how they differ, or how close they are.
	Detail string
	// Similarity is the ratio found by a similarity comparison.
	Similarity *float64
}

// ErrReference is wrapped when the reference itself cannot be compared
// with (not JSON, or without a field the spec names): the reference is
// broken, not the output under test.
var ErrReference = errors.New("the reference cannot be compared with")

// Compare judges got against reference. An output that differs is a failed
// Outcome; the error is for a comparison that cannot be made (see
// ErrReference).
func Compare(s Spec, reference, got string) (Outcome, error) {
	if len(s.Fields) == 0 {
		return outcome([]FieldOutcome{compareText(s.Rule, reference, got)}), nil
	}
	refDoc, err := ParseJSON(reference)
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: it is not JSON: %v", ErrReference, err)
	}
	gotDoc, gotErr := ParseJSON(got)
	var out []FieldOutcome
	for _, f := range s.Fields {
		rv, err := f.Path.Lookup(refDoc)
		if err != nil {
			return Outcome{}, fmt.Errorf("%w: JSON path %s: %v", ErrReference, f.Path, err)
		}
		fo := FieldOutcome{Path: f.Path.String(), Mode: f.Rule.Mode, Reference: render(rv)}
		switch {
		case gotErr != nil:
			fo.Got, fo.Detail = short(got), "the output is not JSON: "+gotErr.Error()
		default:
			gv, err := f.Path.Lookup(gotDoc)
			if err != nil {
				fo.Got, fo.Detail = "—", "missing: "+err.Error()
				break
			}
			fo = compareValue(f, rv, gv)
		}
		out = append(out, fo)
	}
	return outcome(out), nil
}

// outcome sums up field outcomes: the first failure, or how many agreed.
func outcome(fields []FieldOutcome) Outcome {
	o := Outcome{OK: true, Fields: fields}
	for _, f := range fields {
		if !f.OK {
			o.OK = false
			o.Summary = describe(f)
			return o
		}
	}
	switch {
	case len(fields) == 1:
		o.Summary = describe(fields[0])
	default:
		o.Summary = fmt.Sprintf("%d fields match the reference", len(fields))
	}
	return o
}

func describe(f FieldOutcome) string {
	if f.Path == "" {
		return f.Detail
	}
	if f.OK {
		return fmt.Sprintf("field %s: %s", f.Path, f.Detail)
	}
	return fmt.Sprintf("field %s: reference %s, got %s: %s", f.Path, f.Reference, f.Got, f.Detail)
}

// compareValue compares one JSON field under its rule.
func compareValue(f Field, rv, gv any) FieldOutcome {
	fo := FieldOutcome{Path: f.Path.String(), Mode: f.Rule.Mode, Reference: render(rv), Got: render(gv)}
	switch f.Rule.Mode {
	case Numeric:
		rn, rok := number(rv)
		gn, gok := number(gv)
		switch {
		case !rok:
			fo.Detail = "the reference value is " + kindOf(rv) + ", not a number"
		case !gok:
			fo.Detail = "the value is " + kindOf(gv) + ", not a number"
		default:
			fo.OK, fo.Detail = within(f.Rule, rn, gn)
		}
	case Similarity:
		rs, rok := rv.(string)
		gs, gok := gv.(string)
		if !rok || !gok {
			rs, gs = canonical(rv), canonical(gv)
		}
		fo.OK, fo.Detail, fo.Similarity = similar(f.Rule, rs, gs)
	default:
		fo.OK = canonical(rv) == canonical(gv)
		fo.Detail = "equal"
		if !fo.OK {
			fo.Detail = "not equal"
		}
	}
	return fo
}

// within compares two numbers under a rule's tolerances.
func within(r Rule, ref, got float64) (bool, string) {
	diff := math.Abs(got - ref)
	allowed := math.Max(r.Abs, r.Rel*math.Abs(ref))
	ok := diff <= allowed || (math.IsNaN(ref) && math.IsNaN(got))
	if ok {
		return true, fmt.Sprintf("|Δ| %s ≤ %s", num(diff), num(allowed))
	}
	return false, fmt.Sprintf("|Δ| %s > allowed %s", num(diff), num(allowed))
}

// number reads a JSON number, or a string holding one (tools often quote
// the figures they print).
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		return parseFloat(strings.TrimSpace(x))
	}
	return 0, false
}

// canonical is a value's JSON text with keys sorted, so that equal values
// compare equal whatever order a tool printed their keys in.
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// render is a value as a report shows it: strings unquoted, short.
func render(v any) string {
	if s, ok := v.(string); ok {
		return short(s)
	}
	return short(canonical(v))
}

// short cuts a value to what fits in a table cell.
func short(s string) string {
	const max = 80
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// num prints a number compactly.
func num(f float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.6g", f), ".")
}
