package scaffold

import (
	"bytes"
	"fmt"
)

// copiedLayer is the catalog layer's document renamed to name, under a line
// that says where it was copied from. The rest stays as written: its steps'
// sources and the comments that explain its choices are what makes it worth
// starting from.
func copiedLayer(name string, f *From) ([]byte, error) {
	text := f.Text
	if name != f.Name {
		var err error
		if text, err = rename(text, f.NameLine, f.NameCol, f.Name, name); err != nil {
			return nil, fmt.Errorf("copying layer %s from %s: %w", f.Name, f.File, err)
		}
	}
	head := fmt.Sprintf("# Started from the catalog layer %s (%s) by `macabox init --from %s`.\n", f.Name, f.File, f.Name)
	if name == f.Name {
		head += "# It has the catalog layer's name, so it replaces that layer wherever a stack names it.\n"
	}
	out := append([]byte(head), text...)
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	return out, nil
}

// rename replaces the scalar old (plain or quoted) that starts at line and
// col of text with name.
func rename(text []byte, line, col int, old, name string) ([]byte, error) {
	lines := bytes.SplitAfter(text, []byte("\n"))
	if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1]) {
		return nil, fmt.Errorf("the name's position %d:%d is outside the document", line, col)
	}
	l := lines[line-1]
	at := col - 1
	token := old
	if q := l[at]; q == '"' || q == '\'' {
		token = string(q) + old + string(q)
	}
	if !bytes.HasPrefix(l[at:], []byte(token)) {
		return nil, fmt.Errorf("the name %q is not where the document says", old)
	}
	lines[line-1] = append(append(append([]byte{}, l[:at]...), name...), l[at+len(token):]...)
	return bytes.Join(lines, nil), nil
}
