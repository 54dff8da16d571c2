package world

import (
	"strings"
)

// The go.mod files are read as text: loading a module with the go command
// would resolve the whole module graph of a module that may be in the
// middle of an edit, and take seconds.

// gomodDirective calls fn with the arguments of each line of a go.mod
// directive (require, replace, ...), in single-line and block form,
// without comments.
func gomodDirective(gomod []byte, directive string, fn func(args []string) bool) {
	inBlock := false
	for _, line := range strings.Split(string(gomod), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
			continue
		case inBlock && f[0] == ")":
			inBlock = false
			continue
		case inBlock:
		case f[0] == directive && len(f) == 2 && f[1] == "(":
			inBlock = true
			continue
		case f[0] == directive:
			f = f[1:]
		default:
			continue
		}
		if !fn(f) {
			return
		}
	}
}

// gomodRequire is the version gomod requires of module, or "".
func gomodRequire(gomod []byte, module string) string {
	version := ""
	gomodDirective(gomod, "require", func(args []string) bool {
		if len(args) >= 2 && args[0] == module {
			version = args[1]
			return false
		}
		return true
	})
	return version
}

// gomodReplaces reports whether gomod has a replace directive for module,
// for all its versions or one.
func gomodReplaces(gomod []byte, module string) bool {
	found := false
	gomodDirective(gomod, "replace", func(args []string) bool {
		found = len(args) >= 2 && args[0] == module
		return !found
	})
	return found
}
