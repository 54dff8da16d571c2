package device

import "strings"

// ShellQuote quotes s for a POSIX shell. Words made only of characters no
// shell treats specially stay bare so printed commands stay readable;
// anything else goes in single quotes, inside which nothing is special
// (not $, `, \, !, newlines or non-ASCII text). A single quote inside ends
// the quoted run, is written as \' and a new run starts after it.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, shellSafe) == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@+=:,./-"

// ShellJoin renders argv as one command line that a POSIX shell splits back
// into exactly argv. A first word containing = is quoted too: bare, the
// shell would take it for a variable assignment rather than the command.
func ShellJoin(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = ShellQuote(a)
		if i == 0 && words[i] == a && strings.Contains(a, "=") {
			words[i] = "'" + a + "'"
		}
	}
	return strings.Join(words, " ")
}
