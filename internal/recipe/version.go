package recipe

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Version is a dotted numeric version such as 3.0.0.5. A "-suffix" (a chip
// variant: 3.8.0.3-c600u) or "+local" part (a vendor build: 2.6.0+metax3.0.0.5)
// is kept in Text but ignored for ordering. It is not semver: MACA versions
// have four parts and vendor wheels add local parts, which semver libraries
// refuse or order as prereleases, so versions and constraints are read here.
type Version struct {
	Parts []int
	Text  string
}

// ParseVersion reads a version. Missing trailing parts compare as zero, so
// 3.0 == 3.0.0.0.
func ParseVersion(s string) (Version, error) {
	bad := fmt.Errorf("%s is not a version (dotted numbers such as 3.0.0.5, optionally with a -suffix or +local part)", quote(s))
	num, suffix, _ := strings.Cut(s, "-")
	if i := strings.IndexByte(num, '+'); i >= 0 {
		num, suffix = num[:i], num[i+1:]+suffix
	}
	if num == "" || len(s) > len(num) && suffix == "" {
		return Version{}, bad
	}
	fields := strings.Split(num, ".")
	v := Version{Parts: make([]int, len(fields)), Text: s}
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return Version{}, bad
		}
		v.Parts[i] = n
	}
	return v, nil
}

// Compare orders two versions by their numeric parts.
func (v Version) Compare(w Version) int {
	for i := range max(len(v.Parts), len(w.Parts)) {
		if c := cmp.Compare(part(v.Parts, i), part(w.Parts, i)); c != 0 {
			return c
		}
	}
	return 0
}

func part(p []int, i int) int {
	if i < len(p) {
		return p[i]
	}
	return 0
}

// hasPrefix reports whether v's parts start with prefix's, for ==3.0.*.
func (v Version) hasPrefix(prefix Version) bool {
	for i, p := range prefix.Parts {
		if part(v.Parts, i) != p {
			return false
		}
	}
	return true
}

// Constraint is a comma-separated list of comparisons that must all hold:
// ">=3.0, <3.1", "==3.0.*", "!=2.33.0.6".
type Constraint struct {
	terms []term
	text  string
}

type term struct {
	op       string // ==, !=, >=, <=, >, <
	version  Version
	wildcard bool // ==X.* or !=X.*: compare only the given parts
}

// ParseConstraint reads a constraint. Every comparison needs an operator: a
// bare "3.0" is refused, since it could mean exactly 3.0 or any 3.0.x.
func ParseConstraint(s string) (Constraint, error) {
	c := Constraint{text: s}
	if strings.TrimSpace(s) == "" {
		return c, fmt.Errorf("empty version constraint")
	}
	for raw := range strings.SplitSeq(s, ",") {
		t, err := parseTerm(strings.TrimSpace(raw))
		if err != nil {
			return Constraint{}, err
		}
		c.terms = append(c.terms, t)
	}
	return c, nil
}

func parseTerm(s string) (term, error) {
	var t term
	for _, op := range []string{"==", "!=", ">=", "<=", ">", "<"} {
		if rest, ok := strings.CutPrefix(s, op); ok {
			t.op, s = op, strings.TrimSpace(rest)
			break
		}
	}
	if t.op == "" {
		if _, err := ParseVersion(s); err == nil {
			return t, fmt.Errorf("%s has no operator; write ==%s.* for any %s release, or >=%s", quote(s), s, s, s)
		}
		return t, fmt.Errorf("%s is not a comparison such as >=3.0", quote(s))
	}
	if prefix, ok := strings.CutSuffix(s, ".*"); ok {
		if t.op != "==" && t.op != "!=" {
			return t, fmt.Errorf("a wildcard (%s) only works with == and !=", quote(s))
		}
		t.wildcard, s = true, prefix
	}
	v, err := ParseVersion(s)
	if err != nil {
		return t, err
	}
	t.version = v
	return t, nil
}

// Allows reports whether version satisfies every comparison. A version that
// does not parse satisfies nothing.
func (c Constraint) Allows(version string) bool {
	v, err := ParseVersion(version)
	if err != nil {
		return false
	}
	for _, t := range c.terms {
		if !t.allows(v) {
			return false
		}
	}
	return len(c.terms) > 0
}

func (t term) allows(v Version) bool {
	if t.wildcard {
		return v.hasPrefix(t.version) == (t.op == "==")
	}
	c := v.Compare(t.version)
	switch t.op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case ">=":
		return c >= 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case "<":
		return c < 0
	}
	return false
}

// String is the constraint as written.
func (c Constraint) String() string { return c.text }
