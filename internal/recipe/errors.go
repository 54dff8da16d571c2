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
// turn into links. A file name that does not print as itself is shown
// escaped (see Escape), so that it cannot break the line or disguise itself.
func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", Escape(p.File), p.Line, p.Col)
}

// IsZero reports whether the position was never set.
func (p Pos) IsZero() bool { return p == Pos{} }

// Error is one problem in a recipe, at the place it was found.
type Error struct {
	Pos   Pos
	Field string // the key the problem concerns; empty when none does
	Msg   string
}

// Error renders the problem as `file:line:col: field "x": problem`, always
// one line: whatever a message mentions (a file name from an fs error, say)
// is escaped if it would not print as itself.
func (e *Error) Error() string {
	msg := escapeInline(e.Msg)
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", e.Pos, msg)
	}
	return fmt.Sprintf("%s: field %s: %s", e.Pos, quote(e.Field), msg)
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
func quote(s string) string { return quoteUpTo(s, 64) }

// maxExcerptRunes bounds what a message quotes of a file that is not a
// recipe: it may be anything a link or a copy put in the tree, a credentials
// file included.
const maxExcerptRunes = 16

// excerpt quotes the start of a value of a file that may not be a recipe.
func excerpt(s string) string { return quoteUpTo(s, maxExcerptRunes) }

func quoteUpTo(s string, maxRunes int) string {
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "..."
	}
	return strconv.Quote(s)
}
