package cli

import "io"

// colorFor reports whether what is written to w may carry ANSI colours:
// only on a terminal, and never when NO_COLOR is set to anything but the
// empty string (no-color.org). BuildKit's progress display reads NO_COLOR
// by itself.
func colorFor(w io.Writer, getenv func(string) string) bool {
	return getenv("NO_COLOR") == "" && isTerminal(w)
}
