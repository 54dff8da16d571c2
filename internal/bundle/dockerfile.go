package bundle

import (
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/builder"
)

// finalChain returns the instructions that make the final image: those of
// the last stage and of every stage it builds on, oldest first, FROM left
// out. Each of them adds one entry to the image's history. The Dockerfile
// is read with BuildKit's own parser, so lines mean what they meant to the
// build; one BuildKit cannot read gives no chain.
func finalChain(dockerfile []byte) []builder.DockerfileInstruction {
	df, err := builder.ParseDockerfile(dockerfile)
	if err != nil || len(df.Stages) == 0 {
		return nil
	}
	byName := map[string]int{}
	for _, s := range df.Stages {
		if s.Name != "" {
			byName[s.Name] = s.Index
		}
	}
	// A stage builds on an earlier named stage, or on an image.
	chain := []int{len(df.Stages) - 1}
	for {
		i := chain[len(chain)-1]
		next, ok := byName[strings.ToLower(df.Stages[i].Base)]
		if !ok || next >= i {
			break
		}
		chain = append(chain, next)
	}
	var out []builder.DockerfileInstruction
	for j := len(chain) - 1; j >= 0; j-- {
		for _, ins := range df.Instructions {
			if ins.Stage == chain[j] && ins.Keyword != "FROM" {
				out = append(out, ins)
			}
		}
	}
	return out
}
