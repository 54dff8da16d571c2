package bundle

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// instruction is one Dockerfile instruction, with the lines it spans.
type instruction struct {
	Line, EndLine int
	Keyword       string // upper case: RUN, COPY, FROM, ...
	Text          string // the instruction's lines joined, continuations removed
	Stage         string // name (or index) of the stage it belongs to
}

// stage is one FROM and the instructions after it.
type dfStage struct {
	Name string
	From string // image reference or earlier stage name
	Body []instruction
}

// scanDockerfile splits a Dockerfile into instructions grouped by stage. It
// knows what the layer explanation needs (line continuations, comments,
// heredocs, FROM ... AS) and nothing more: the frontend remains the judge of
// what the file means.
func scanDockerfile(data []byte) []dfStage {
	var stages []dfStage
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	var cur *instruction
	var heredoc string
	n := 0
	flush := func() {
		if cur == nil {
			return
		}
		ins := *cur
		cur = nil
		if ins.Keyword == "FROM" {
			from, name := parseFrom(ins.Text)
			if name == "" {
				name = from
			}
			stages = append(stages, dfStage{Name: name, From: from})
			return
		}
		if len(stages) > 0 {
			s := &stages[len(stages)-1]
			ins.Stage = s.Name
			s.Body = append(s.Body, ins)
		}
	}
	for sc.Scan() {
		n++
		line := sc.Text()
		if heredoc != "" {
			cur.EndLine = n
			if strings.TrimSpace(line) == heredoc {
				heredoc = ""
				flush()
			}
			continue
		}
		trimmed := strings.TrimSpace(line)
		if cur == nil {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			kw, _, _ := strings.Cut(trimmed, " ")
			cur = &instruction{Line: n, EndLine: n, Keyword: strings.ToUpper(kw)}
		} else if strings.HasPrefix(trimmed, "#") {
			// Comment lines inside a continued instruction are dropped.
			continue
		}
		cur.EndLine = n
		body, continued := strings.CutSuffix(strings.TrimRight(line, " \t"), "\\")
		cur.Text += body
		if continued {
			continue
		}
		if m := heredocStart.FindStringSubmatch(line); m != nil && (cur.Keyword == "RUN" || cur.Keyword == "COPY" || cur.Keyword == "ADD") {
			heredoc = m[1]
			continue
		}
		flush()
	}
	flush()
	return stages
}

var heredocStart = regexp.MustCompile(`<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?`)

// parseFrom reads "FROM [--flag...] REF [AS NAME]".
func parseFrom(text string) (from, name string) {
	var words []string
	for _, w := range strings.Fields(text)[1:] {
		if strings.HasPrefix(w, "--") {
			continue
		}
		words = append(words, w)
	}
	if len(words) == 0 {
		return "", ""
	}
	from = words[0]
	if len(words) >= 3 && strings.EqualFold(words[1], "AS") {
		name = strings.ToLower(words[2])
	}
	return from, name
}

// finalChain returns the instructions that make the final image: those of
// the last stage and of every stage it builds on, oldest first. Each of
// them adds one entry to the image's history.
func finalChain(stages []dfStage) []instruction {
	if len(stages) == 0 {
		return nil
	}
	byName := map[string]int{}
	for i, s := range stages {
		byName[strings.ToLower(s.Name)] = i
	}
	var chain []int
	seen := map[int]bool{}
	for i := len(stages) - 1; i >= 0 && !seen[i]; {
		seen[i] = true
		chain = append(chain, i)
		next, ok := byName[strings.ToLower(stages[i].From)]
		if !ok || next >= i {
			break
		}
		i = next
	}
	var out []instruction
	for j := len(chain) - 1; j >= 0; j-- {
		out = append(out, stages[chain[j]].Body...)
	}
	return out
}
