package recipe

import (
	"fmt"
	"strings"
)

// Ref is one ${NAME} reference in a structured recipe value.
type Ref struct {
	Name string
	// Start and End are the byte offsets of "${NAME}" in the value.
	Start, End int
}

// BuiltinArgs are the build arguments macabox always provides; recipes may
// refer to them without declaring them, and may not declare them.
func BuiltinArgs() []string {
	return []string{"SOURCE_DATE_EPOCH", "TARGETARCH", "TARGETPLATFORM", "MACA_VERSION", "MACA_PATH", "PYTHON"}
}

// InheritedEnv are the environment variables an env value may extend
// (PATH: /opt/x/bin:${PATH}) without an earlier recipe setting them, because
// every base image has or may have them.
func InheritedEnv() []string {
	return []string{"PATH", "LD_LIBRARY_PATH", "HOME", "PYTHONPATH", "LIBRARY_PATH", "CPATH",
		"C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "PKG_CONFIG_PATH"}
}

// ExpandRefs finds the ${NAME} references in a structured value (anything but
// shell scripts). "$$" stands for a literal "$", and so does a "$" not
// followed by "{" (so "$basearch" in a dnf repository URL needs no escaping);
// whoever renders the value must escape literal dollars for its target. A
// "${" that does not form ${NAME} is an error: ${VAR:-x} and friends are
// shell syntax the renderer would not reproduce.
func ExpandRefs(s string) ([]Ref, error) {
	var refs []Ref
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		if s[i+1] == '$' {
			i++
			continue
		}
		if s[i+1] != '{' {
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unterminated \"${\" at offset %d", i)
		}
		name := s[i+2 : i+2+end]
		if !IsName(name) {
			return nil, fmt.Errorf("%s is not a reference: only ${NAME} is supported, NAME being letters, digits and _", quote("${"+name+"}"))
		}
		refs = append(refs, Ref{Name: name, Start: i, End: i + 3 + end})
		i += 2 + end
	}
	return refs, nil
}

// Expand substitutes every ${NAME} through lookup and turns "$$" into "$";
// a lone "$" stays. It fails on a reference lookup does not know, and on the
// syntax ExpandRefs refuses.
func Expand(s string, lookup func(name string) (string, bool)) (string, error) {
	refs, err := ExpandRefs(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last := 0
	for _, r := range refs {
		b.WriteString(strings.ReplaceAll(s[last:r.Start], "$$", "$"))
		v, ok := lookup(r.Name)
		if !ok {
			return "", fmt.Errorf("unknown reference ${%s}", r.Name)
		}
		b.WriteString(v)
		last = r.End
	}
	b.WriteString(strings.ReplaceAll(s[last:], "$$", "$"))
	return b.String(), nil
}

// IsName reports whether s is a valid argument or environment variable name:
// a letter or underscore, then letters, digits and underscores.
func IsName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
