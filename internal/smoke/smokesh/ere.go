package smokesh

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// grepPattern is a smoke expectation as smoke.sh checks it: a POSIX extended
// regular expression for `grep -E` in the C locale, and which part of the
// text it is matched against.
type grepPattern struct {
	ERE string
	// FirstLine is set for patterns anchored at the start of the text
	// (\A): grep reads lines, so only the first one is given to it.
	FirstLine bool
}

// toERE translates a Go (RE2) expectation into grep -E. The smoke runner
// matches expectations multi-line ((?m): ^ and $ at line ends), which is
// what grep does line by line, so most patterns carry over once their Perl
// classes and escapes are rewritten. What cannot be checked a line at a time
// (a pattern that spans lines, \z, (?s)) or has no ERE form is refused with
// the reason, so smoke.sh never checks something weaker than macabox would.
//
// Parsing with regexp/syntax rather than rewriting text gets escapes,
// classes and flags right by construction: the ERE is printed from the same
// tree Go matches with. Grouping parentheses are added where ERE precedence
// needs them; they never change whether a line matches. No library turns
// RE2 into POSIX ERE, let alone refuses what grep cannot check line by line.
func toERE(pattern string) (grepPattern, error) {
	re, err := syntax.Parse("(?m)"+pattern, syntax.Perl)
	if err != nil {
		return grepPattern{}, fmt.Errorf("invalid regular expression: %w", err)
	}
	var gp grepPattern
	if re.Op == syntax.OpBeginText {
		gp.FirstLine = true
		re = &syntax.Regexp{Op: syntax.OpBeginLine}
	} else if re.Op == syntax.OpConcat && len(re.Sub) > 0 && re.Sub[0].Op == syntax.OpBeginText {
		gp.FirstLine = true
		sub := slices.Clone(re.Sub)
		sub[0] = &syntax.Regexp{Op: syntax.OpBeginLine}
		re = &syntax.Regexp{Op: syntax.OpConcat, Sub: sub}
	}
	var p erePrinter
	p.print(re)
	if p.err != nil {
		return grepPattern{}, p.err
	}
	gp.ERE = p.b.String()
	return gp, nil
}

type erePrinter struct {
	b   strings.Builder
	err error
}

func (p *erePrinter) refuse(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

func (p *erePrinter) print(re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpNoMatch:
		p.refuse("the pattern can never match")
	case syntax.OpEmptyMatch:
		p.b.WriteString("()")
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			p.literal(r, re.Flags&syntax.FoldCase != 0)
		}
	case syntax.OpCharClass:
		p.class(re.Rune)
	case syntax.OpAnyCharNotNL:
		p.b.WriteByte('.')
	case syntax.OpAnyChar:
		p.refuse("(?s) lets . match a line break; grep matches one line at a time")
	case syntax.OpBeginLine:
		p.b.WriteByte('^')
	case syntax.OpEndLine:
		p.b.WriteByte('$')
	case syntax.OpBeginText:
		p.refuse(`\A is only supported at the start of the pattern`)
	case syntax.OpEndText:
		p.refuse(`\z (end of the text) cannot be checked one line at a time`)
	case syntax.OpWordBoundary:
		p.b.WriteString(`\b`)
	case syntax.OpNoWordBoundary:
		p.b.WriteString(`\B`)
	case syntax.OpCapture:
		p.b.WriteByte('(')
		p.print(re.Sub[0])
		p.b.WriteByte(')')
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		p.repeat(re)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if s.Op == syntax.OpAlternate {
				p.group(s)
				continue
			}
			p.print(s)
		}
	case syntax.OpAlternate:
		for i, s := range re.Sub {
			if i > 0 {
				p.b.WriteByte('|')
			}
			p.print(s)
		}
	default:
		p.refuse("unsupported construct %s", re.Op)
	}
}

func (p *erePrinter) group(re *syntax.Regexp) {
	p.b.WriteByte('(')
	p.print(re)
	p.b.WriteByte(')')
}

// repeat prints a quantifier. Laziness (*?) is dropped: whether a line
// matches does not depend on it.
func (p *erePrinter) repeat(re *syntax.Regexp) {
	sub := re.Sub[0]
	if needsGroup(sub) {
		p.group(sub)
	} else {
		p.print(sub)
	}
	switch re.Op {
	case syntax.OpStar:
		p.b.WriteByte('*')
	case syntax.OpPlus:
		p.b.WriteByte('+')
	case syntax.OpQuest:
		p.b.WriteByte('?')
	case syntax.OpRepeat:
		// POSIX guarantees counts up to RE_DUP_MAX, which is 255.
		if re.Max > 255 || re.Min > 255 {
			p.refuse("repetition counts above 255 are not portable to grep")
			return
		}
		switch {
		case re.Max == -1:
			fmt.Fprintf(&p.b, "{%d,}", re.Min)
		case re.Min == re.Max:
			fmt.Fprintf(&p.b, "{%d}", re.Min)
		default:
			fmt.Fprintf(&p.b, "{%d,%d}", re.Min, re.Max)
		}
	}
}

// needsGroup reports whether a quantifier's operand must be parenthesised:
// anything longer than one character or one bracket expression. A
// non-ASCII literal is several bytes in the C locale, so it counts as long.
func needsGroup(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) != 1 {
			return true
		}
		return re.Rune[0] >= utf8.RuneSelf && re.Flags&syntax.FoldCase == 0
	case syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpCapture:
		return false
	}
	return true
}

// ereSpecial are the characters that mean something outside a bracket
// expression in an ERE.
const ereSpecial = `.[]()*+?{}|^$\`

func (p *erePrinter) literal(r rune, fold bool) {
	switch {
	case r == '\n':
		p.refuse(`the pattern matches a line break (\n); grep matches one line at a time`)
		return
	case r == 0:
		p.refuse("the pattern matches a NUL character")
		return
	}
	if fold {
		if variants := asciiFolds(r); len(variants) > 1 {
			p.b.WriteByte('[')
			for _, v := range variants {
				p.b.WriteRune(v)
			}
			p.b.WriteByte(']')
			return
		}
	}
	if r < utf8.RuneSelf && strings.ContainsRune(ereSpecial, r) {
		p.b.WriteByte('\\')
	}
	p.b.WriteRune(r)
}

// asciiFolds lists the ASCII case variants of r, r first.
func asciiFolds(r rune) []rune {
	out := []rune{r}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			out = append(out, f)
		}
	}
	return out
}

// foldArtifacts are the non-ASCII runes Go adds to a case-folded ASCII
// class (ſ folds to s, the Kelvin sign to k). Dropping them only matters
// for text that contains them.
var foldArtifacts = map[rune]rune{0x017F: 's', 0x212A: 'k'}

// class prints a character class as a bracket expression. Go gives it as
// sorted ranges; a class that reaches the last code point is a negated one.
// A line never holds a line break, so \n is dropped from either form.
func (p *erePrinter) class(ranges []rune) {
	if len(ranges) == 0 {
		p.refuse("the pattern can never match")
		return
	}
	negated := len(ranges) > 0 && ranges[len(ranges)-1] == unicode.MaxRune
	set := runeRanges(ranges)
	if negated {
		set = set.complement()
	}
	set = set.without('\n')
	if negated {
		// In the C locale a negated ASCII set also matches every
		// non-ASCII byte, as Go's matches every non-ASCII rune.
		set = set.below(utf8.RuneSelf)
	} else {
		ascii := set.below(utf8.RuneSelf)
		for _, r := range set.from(utf8.RuneSelf).runes(64) {
			if a, ok := foldArtifacts[r]; ok && (ascii.has(a) || ascii.has(unicode.ToUpper(a))) {
				continue
			}
			p.refuse("character classes with non-ASCII characters cannot be checked by grep in the C locale")
			return
		}
		set = ascii
	}
	if set.empty() {
		if negated {
			p.b.WriteByte('.')
			return
		}
		p.refuse(`the pattern matches only a line break; grep matches one line at a time`)
		return
	}
	if set.has(0) {
		p.refuse("the pattern matches a NUL character")
		return
	}
	if !negated && len(set) == 1 && set[0].lo == set[0].hi {
		p.literal(set[0].lo, false)
		return
	}
	p.b.WriteByte('[')
	if negated {
		p.b.WriteByte('^')
	}
	p.b.WriteString(bracketBody(set))
	p.b.WriteByte(']')
}

// spaceSet is Go's \s without \n. It is printed as [:space:], which
// holds the vertical tab too; nothing else differs.
var spaceSet = runeSet{{'\t', '\t'}, {'\f', '\r'}, {' ', ' '}}

// bracketBody prints a set of ASCII runes inside [ ]: ']' first, '-' last,
// '^' never first, and '[' never where it could start [. [= or [:.
func bracketBody(set runeSet) string {
	var b strings.Builder
	if set.has(']') {
		b.WriteByte(']')
	}
	rest := set.without(']').without('-').without('^').without('[')
	if set.contains(spaceSet) {
		b.WriteString("[:space:]")
		for _, c := range "\t\v\f\r " {
			rest = rest.without(c)
		}
	}
	for _, r := range rest {
		b.WriteRune(r.lo)
		switch {
		case r.hi == r.lo:
		case r.hi == r.lo+1:
			b.WriteRune(r.hi)
		default:
			b.WriteByte('-')
			b.WriteRune(r.hi)
		}
	}
	for _, c := range "^[-" {
		if set.has(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// runeSet is a sorted list of disjoint inclusive ranges.
type runeSet []runeRange

type runeRange struct{ lo, hi rune }

func runeRanges(pairs []rune) runeSet {
	var s runeSet
	for i := 0; i+1 < len(pairs); i += 2 {
		s = append(s, runeRange{pairs[i], pairs[i+1]})
	}
	return s
}

func (s runeSet) empty() bool { return len(s) == 0 }

func (s runeSet) contains(t runeSet) bool {
	for _, r := range t {
		for c := r.lo; c <= r.hi; c++ {
			if !s.has(c) {
				return false
			}
		}
	}
	return true
}

func (s runeSet) has(r rune) bool {
	for _, x := range s {
		if r >= x.lo && r <= x.hi {
			return true
		}
	}
	return false
}

func (s runeSet) complement() runeSet {
	var out runeSet
	next := rune(0)
	for _, r := range s {
		if r.lo > next {
			out = append(out, runeRange{next, r.lo - 1})
		}
		next = r.hi + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, runeRange{next, unicode.MaxRune})
	}
	return out
}

func (s runeSet) without(c rune) runeSet {
	var out runeSet
	for _, r := range s {
		switch {
		case c < r.lo || c > r.hi:
			out = append(out, r)
		default:
			if r.lo < c {
				out = append(out, runeRange{r.lo, c - 1})
			}
			if c < r.hi {
				out = append(out, runeRange{c + 1, r.hi})
			}
		}
	}
	return out
}

func (s runeSet) below(limit rune) runeSet {
	var out runeSet
	for _, r := range s {
		if r.lo >= limit {
			break
		}
		out = append(out, runeRange{r.lo, min(r.hi, limit-1)})
	}
	return out
}

func (s runeSet) from(limit rune) runeSet {
	var out runeSet
	for _, r := range s {
		if r.hi < limit {
			continue
		}
		out = append(out, runeRange{max(r.lo, limit), r.hi})
	}
	return out
}

// runes lists up to n members, enough to tell fold artifacts from a real
// non-ASCII range.
func (s runeSet) runes(n int) []rune {
	var out []rune
	for _, r := range s {
		for c := r.lo; c <= r.hi; c++ {
			if len(out) == n {
				return append(out, -1)
			}
			out = append(out, c)
		}
	}
	return out
}
