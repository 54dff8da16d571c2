package pipeline

import (
	"bytes"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/scaffold"
)

// fromLayer reads a catalog layer's document and the files its copy steps
// take.
func fromLayer(d *recipe.Document) (*scaffold.From, error) {
	data, err := fs.ReadFile(d.Embedded.FS, d.Embedded.Path)
	if err != nil {
		return nil, cannot("reading %s: %w", d.File, err)
	}
	text, first := documentText(data, d.Pos.Line)
	name := d.Header().Name.Pos
	f := &scaffold.From{Name: d.Name(), File: d.File, Text: text, NameLine: name.Line - first + 1, NameCol: name.Col}
	seen := map[string]bool{}
	steps := slices.Clone(d.Layer.Steps)
	for _, st := range d.Layer.Stages {
		steps = append(steps, st.Steps...)
	}
	for _, st := range steps {
		if st.Copy == nil || !st.Copy.Stage.Pos.IsZero() {
			continue
		}
		for _, src := range st.Copy.Src {
			cs, err := d.CopySource(src.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src.Pos, err)
			}
			for _, c := range cs.Files {
				rel := filepath.ToSlash(c.Rel)
				if seen[rel] {
					continue
				}
				seen[rel] = true
				data, err := c.Read()
				if err != nil {
					return nil, err
				}
				f.Files = append(f.Files, scaffold.File{Path: rel, Data: data})
			}
		}
	}
	return f, nil
}

// documentText cuts out of a YAML file the document holding line, with the
// comments above it; first is the line of the file it starts at.
func documentText(data []byte, line int) (text []byte, first int) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	start, end := 0, len(lines)
	for i, l := range lines {
		if !bytes.Equal(bytes.TrimRight(l, " \r\n"), []byte("---")) {
			continue
		}
		if i+1 < line {
			start = i + 1
		} else if end == len(lines) {
			end = i
		}
	}
	return bytes.Join(lines[start:end], nil), start + 1
}
