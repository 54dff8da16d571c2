package plan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Limits on what substitution may produce. An argument defined as
// "${A}${A}" doubles at each level, so a recipe of a few lines could ask for
// gigabytes; expansion stops as soon as a limit would be passed, before the
// memory is spent.
const (
	// maxValueLen bounds one expanded value: an argument, a field. Its ARG
	// line, every character escaped, still fits the 64 KiB line BuildKit's
	// parser reads.
	maxValueLen = 32 << 10
	// maxExpanded bounds all the expansions of one plan together: everything
	// substituted ends up in the Dockerfile, which BuildKit reads up to
	// 16 MiB.
	maxExpanded = 16 << 20
)

// errExpandedTotal is returned once the plan's expansions pass maxExpanded.
var errExpandedTotal = fmt.Errorf("the target's values expand to more than %d bytes (16 MiB) in all", maxExpanded)

// tooLongError says an expansion would pass maxValueLen; through is the
// reference that contributed most.
type tooLongError struct{ through string }

func (e *tooLongError) Error() string {
	return fmt.Sprintf("the value would be longer than %d bytes (32 KiB), through ${%s}", maxValueLen, e.through)
}

// expand substitutes the ${NAME} references of a structured value through
// lookup ("$$" is a literal "$"), refusing as soon as the result would pass
// maxValueLen or the plan's expansions together would pass maxExpanded.
// lookup reports false for a name it does not know.
func (r *resolver) expand(s string, lookup func(name string) (string, bool)) (string, error) {
	if r.expandedFull {
		return "", errExpandedTotal
	}
	segs, err := splitRefs(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	biggest, biggestLen := "", -1
	for _, sg := range segs {
		text := sg.Lit
		if sg.Ref != "" {
			v, ok := lookup(sg.Ref)
			if !ok {
				return "", fmt.Errorf("unknown reference ${%s}", sg.Ref)
			}
			text = v
			if len(v) > biggestLen {
				biggest, biggestLen = sg.Ref, len(v)
			}
		}
		if b.Len()+len(text) > maxValueLen {
			return "", tooLong(biggest)
		}
		b.WriteString(text)
	}
	if err := r.charge(b.Len()); err != nil {
		return "", err
	}
	return b.String(), nil
}

// tooLong is the error of a value that outgrew maxValueLen, through the
// reference that contributed most, if any did.
func tooLong(through string) error {
	if through == "" {
		return fmt.Errorf("the value is longer than %d bytes (32 KiB)", maxValueLen)
	}
	return &tooLongError{through: through}
}

// charge counts n expanded bytes against maxExpanded.
func (r *resolver) charge(n int) error {
	r.expanded += n
	if r.expanded > maxExpanded {
		r.expandedFull = true
		return errExpandedTotal
	}
	return nil
}

// argLen is the length of an argument's final value.
func (r *resolver) argLen(name string) int {
	if a, ok := r.args[name]; ok {
		return len(a.Value)
	}
	return 0
}

// expandProblem words an expansion error for a recipe problem: a value that
// grew too long is traced down the chain of arguments that made it so;
// length gives the length of an argument's value.
func (r *resolver) expandProblem(err error, length func(name string) int) string {
	var tl *tooLongError
	if !errors.As(err, &tl) {
		return err.Error()
	}
	return fmt.Sprintf("the value would be longer than %d bytes (32 KiB), through %s", maxValueLen, r.argChain(tl.through, length))
}

// argChain follows from an argument, at each level, the reference with the
// longest value: the path along which a value grew.
func (r *resolver) argChain(name string, length func(name string) int) string {
	const most = 8
	var chain []string
	seen := map[string]bool{}
	for name != "" && !seen[name] {
		seen[name] = true
		chain = append(chain, "${"+name+"}")
		a, ok := r.args[name]
		if !ok || a.Builtin || a.Overridden {
			break
		}
		refs, err := recipe.ExpandRefs(a.def.Value)
		if err != nil {
			break
		}
		next, nextLen := "", -1
		for _, ref := range refs {
			if n := length(ref.Name); n > nextLen {
				next, nextLen = ref.Name, n
			}
		}
		name = next
	}
	if len(chain) > most {
		chain = append(chain[:most-2:most-2], "…", chain[len(chain)-1])
	}
	return strings.Join(chain, " → ")
}
