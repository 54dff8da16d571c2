package bundle

import (
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/builder"
)

// layerOrigin ties a layer to the Dockerfile instruction that made it.
type layerOrigin struct {
	Base        bool
	Line        int
	Instruction string
}

// layerOrigins maps each layer of the image to the instruction that made it.
// Every instruction of the final stage chain adds one history entry (FROM
// excepted), after the base image's own entries; entries that made a layer
// are the ones not marked empty. When the history does not line up with the
// Dockerfile (an instruction keyword differs), the build layers keep no
// line rather than a wrong one.
func layerOrigins(im *builder.LayoutImage, dockerfile []byte) []layerOrigin {
	chain := finalChain(dockerfile)
	hist := im.Config.History
	nbase := len(hist) - len(chain)
	matched := nbase >= 0
	for i := 0; matched && i < len(chain); i++ {
		kw, _, _ := strings.Cut(strings.TrimSpace(hist[nbase+i].CreatedBy), " ")
		if !strings.EqualFold(kw, chain[i].Keyword) {
			matched = false
		}
	}
	var out []layerOrigin
	for i, h := range hist {
		if h.EmptyLayer {
			continue
		}
		o := layerOrigin{Base: matched && i < nbase}
		if matched && i >= nbase {
			ins := chain[i-nbase]
			o.Line, o.Instruction = ins.StartLine, ins.Keyword
		}
		out = append(out, o)
	}
	return out
}
