package recipe

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// String renders a position as file:line:col, the form editors and CI logs
// turn into links.
func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsZero reports whether the position was never set.
func (p Pos) IsZero() bool { return p == Pos{} }

// Error is one problem in a recipe, at the place it was found.
type Error struct {
	Pos   Pos
	Field string // the key the problem concerns; empty when none does
	Msg   string
}

// Error renders the problem as `file:line:col: field "x": problem`.
func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("%s: field %q: %s", e.Pos, e.Field, e.Msg)
}

// Errors is every problem found in a set of recipes. Loading and validation
// collect all of them instead of stopping at the first, so that one run tells
// the author everything there is to fix.
type Errors []*Error

// Error renders one problem per line, sorted by file, line and column.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es.Sorted() {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Sorted returns the problems ordered by file, line, column and text; the
// receiver is left as it was.
func (es Errors) Sorted() Errors {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return out
}

// Err returns the problems as an error, or nil when there are none, so that
// callers never hold a non-nil error interface around an empty slice.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es.Sorted()
}

// Print writes every problem on its own line, sorted, and returns the first
// write error.
func (es Errors) Print(w io.Writer) error {
	for _, e := range es.Sorted() {
		if _, err := fmt.Fprintln(w, e.Error()); err != nil {
			return err
		}
	}
	return nil
}

// errorList is the collector the loader and validator append to.
type errorList struct {
	errs Errors
}

func (l *errorList) add(pos Pos, field, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// quote renders a user-supplied value for a message: Go-quoted, so control
// characters cannot break the one-problem-per-line format, and cut short so a
// hostile value cannot flood the output.
func quote(s string) string {
	const maxRunes = 64
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "..."
	}
	return strconv.Quote(s)
}
