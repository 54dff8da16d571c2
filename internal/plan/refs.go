package plan

import (
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// segment is a piece of a structured recipe value: literal text (with "$$"
// already turned into "$"), or a ${NAME} reference when Ref is set.
type segment struct {
	Lit string
	Ref string
}

// splitRefs cuts a structured value into literal text and references, by
// the recipe format's rules (recipe.ExpandRefs): ${NAME} is a reference, $$
// a literal $, any other $ an error.
func splitRefs(s string) ([]segment, error) {
	refs, err := recipe.ExpandRefs(s)
	if err != nil {
		return nil, err
	}
	var out []segment
	last := 0
	lit := func(text string) {
		if text != "" {
			out = append(out, segment{Lit: strings.ReplaceAll(text, "$$", "$")})
		}
	}
	for _, r := range refs {
		lit(s[last:r.Start])
		out = append(out, segment{Ref: r.Name})
		last = r.End
	}
	lit(s[last:])
	return out, nil
}

// joinRefs writes segments back in recipe syntax: literal "$" doubled,
// references as ${NAME}.
func joinRefs(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Ref != "" {
			b.WriteString("${" + s.Ref + "}")
			continue
		}
		b.WriteString(strings.ReplaceAll(s.Lit, "$", "$$"))
	}
	return b.String()
}

// scriptRefs returns the names a shell script may read from its environment
// through $NAME or ${NAME...}, in order of first use. It over-approximates
// (text inside single quotes counts too), which only costs an extra ARG line.
func scriptRefs(script string) []string {
	var names []string
	seen := map[string]bool{}
	for i := 0; i < len(script); i++ {
		if script[i] != '$' || i+1 == len(script) {
			continue
		}
		j := i + 1
		if script[j] == '{' {
			j++
		}
		k := j
		for k < len(script) && isNameByte(script[k], k == j) {
			k++
		}
		if k > j {
			if name := script[j:k]; !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	return names
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || !first && c >= '0' && c <= '9'
}
