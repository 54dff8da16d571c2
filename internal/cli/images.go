package cli

import (
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/plan"
)

// defaultImage is the name "macabox build" gives a target's image.
func defaultImage(p *plan.Plan) string { return pipeline.DefaultTag(p)[0] }
