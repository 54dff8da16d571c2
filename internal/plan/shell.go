package plan

import (
	"strings"
)

// A recipe's run script reaches /bin/sh byte for byte. Dockerfile shell form
// (`RUN script`) hands the rest of the line to `/bin/sh -c` unchanged, except
// that the frontend first trims surrounding space, reads a leading "--x" as a
// RUN flag, a leading '[' as the start of exec form, a trailing '\' as a line
// continuation and "<<WORD" as a heredoc; and when mounts or a network put
// the script on a continuation line, a leading '#' makes the parser skip that
// line as a comment and join the next instruction into the RUN. And recipes
// promise `sh -e`, which differs from `sh -c` once a script has a list (';',
// '&' or a line break). Scripts clear of all that are written in shell form,
// readable as they were written; any other goes in exec form,
// `RUN ["/bin/sh", "-ec", "<JSON>"]`, where JSON escaping carries every byte.

// shellFormOK reports whether script can follow RUN as it is.
func shellFormOK(script string) bool {
	switch {
	case script == "" || checkLine(script) != "":
		return false
	case strings.TrimSpace(script) != script:
		return false
	case strings.HasPrefix(script, "-"), strings.HasPrefix(script, "+"), strings.HasPrefix(script, "["):
		// sh reads a leading - or + as its own option, the frontend a
		// leading - as a RUN flag and [ as exec form.
		return false
	case strings.HasPrefix(script, "#"):
		return false
	case strings.HasSuffix(script, `\`):
		return false
	case strings.Contains(script, "<<"):
		return false
	case strings.Contains(script, ";"):
		return false
	}
	// A lone '&' runs a command in the background: a list, where -e matters.
	return !strings.Contains(strings.ReplaceAll(script, "&&", ""), "&")
}

// execForm is the exec-form text that runs script with `/bin/sh -ec`. A
// script that starts like an option follows "--", which ends sh's options.
func execForm(script string) string {
	if strings.HasPrefix(script, "-") || strings.HasPrefix(script, "+") {
		return jsonArray("/bin/sh", "-ec", "--", script)
	}
	return jsonArray("/bin/sh", "-ec", script)
}

// shellCmd is one command of a generated RUN, already quoted for sh. Each
// arg is one item (a word, or an option with its value); items go one per
// line when the command would be long.
type shellCmd struct {
	head string
	args []string
}

func cmd(head string, args ...string) shellCmd { return shellCmd{head: head, args: args} }

// maxInline is the width up to which a command's arguments share its line.
const maxInline = 100

// lines lays the command out: everything on one line when short, else the
// head on the first line and each argument on its own.
func (c shellCmd) lines() []string {
	one := c.head
	if len(c.args) > 0 {
		one += " " + strings.Join(c.args, " ")
	}
	if len(one) <= maxInline || len(c.args) == 0 {
		return []string{one}
	}
	return append([]string{c.head}, c.args...)
}
