// Package shell writes values into POSIX sh text safely: quoted words,
// command lines that split back into exactly their arguments, and comments
// that stay comments. Every script macabox generates (a bundle's build.sh,
// run.sh and smoke.sh) and every command line it prints goes through here,
// so there is one place to get quoting right.
package shell

import "strings"

// Quote single-quotes s. Generated scripts quote every value this way, even
// words that would be safe bare: a reader (and shellcheck) sees at a glance
// that nothing in it is expanded. Backslashes right before a quote the
// quoting writes go outside the quotes, each as \\: inside them they are
// only backslashes to sh, but shellcheck takes \' for an attempt to escape
// the quote (SC1003) and fails the script.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' {
			b.WriteString(`'\''`)
			continue
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		run := i
		for run < len(s) && s[run] == '\\' {
			run++
		}
		if run < len(s) && s[run] != '\'' {
			b.WriteString(s[i:run])
		} else {
			b.WriteString("'" + strings.Repeat(`\\`, run-i) + "'")
		}
		i = run - 1
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteAll quotes each word and joins them with spaces.
func QuoteAll(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return strings.Join(q, " ")
}

// Word quotes s for a command line a person reads: words made only of
// characters no shell treats specially stay bare; anything else goes in
// single quotes, inside which nothing is special (not $, `, \, !, newlines
// or non-ASCII text).
func Word(s string) string {
	if s != "" && strings.Trim(s, safe) == "" {
		return s
	}
	return Quote(s)
}

const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@+=:,./-"

// Join renders argv as one command line that a POSIX shell splits back into
// exactly argv. A first word containing = is quoted too: bare, the shell
// would take it for a variable assignment rather than the command.
func Join(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = Word(a)
		if i == 0 && words[i] == a && strings.Contains(a, "=") {
			words[i] = Quote(a)
		}
	}
	return strings.Join(words, " ")
}

// Comment wraps text into "# " comment lines of at most 78 columns. Line
// breaks in text only separate words: no part of it can end the comment.
func Comment(text string) string {
	var lines []string
	line := "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 78 && line != "#" {
			lines = append(lines, line)
			line = "#"
		}
		line += " " + w
	}
	return strings.Join(append(lines, line), "\n")
}
