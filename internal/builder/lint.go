package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/pb"
)

// LintWarning is one finding of BuildKit's Dockerfile checks.
type LintWarning struct {
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
	URL    string `json:"url,omitempty"`
	// Line is the first Dockerfile line the finding concerns (0 if none);
	// Origin is the recipe position behind it, through Request.Origin.
	Line   int    `json:"line,omitempty"`
	Origin string `json:"origin,omitempty"`
}

func (w LintWarning) String() string {
	where := w.Origin
	if where == "" && w.Line > 0 {
		where = fmt.Sprintf("Dockerfile:%d", w.Line)
	}
	if where != "" {
		where += ": "
	}
	return fmt.Sprintf("%s%s: %s", where, w.Rule, w.Detail)
}

// Lint runs the dockerfile frontend's own checks (the lint subrequest that
// `docker buildx build --check` makes) on req's Dockerfile without building
// anything. Base images must be resolvable, so supply unreachable ones
// through req.Contexts. A Dockerfile the frontend cannot even convert is an
// error naming the line.
func (b *Builder) Lint(ctx context.Context, req Request) ([]LintWarning, error) {
	if b.caps.Docker != "" || !b.caps.NamedContexts {
		return nil, fmt.Errorf("builder %s (BuildKit %s) cannot run Dockerfile checks: use a buildkitd v0.15 or newer", b.addr, b.caps.BuildKit)
	}
	req.Outputs, req.CacheTo, req.CacheFrom = nil, nil, nil
	ctx = silence(ctx)
	opt, _, err := b.solveOpt(ctx, req)
	if err != nil {
		return nil, err
	}
	var results lint.LintResults
	_, err = b.bk.Build(ctx, opt, "", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		fo := map[string]string{"requestid": lint.RequestLint, "frontend.caps": "moby.buildkit.frontend.subrequests"}
		for k, v := range opt.FrontendAttrs {
			fo[k] = v
		}
		res, err := c.Solve(ctx, gateway.SolveRequest{Frontend: opt.Frontend, FrontendOpt: fo})
		if err != nil {
			return nil, err
		}
		data, ok := res.Metadata["result.json"]
		if !ok {
			return nil, errors.New("the frontend returned no lint result (too old?)")
		}
		return res, json.Unmarshal(data, &results)
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("checking the Dockerfile: %w", err)
	}
	if results.Error != nil {
		return nil, fmt.Errorf("%s: %s", lintWhere(req, firstLine(&results.Error.Location)), results.Error.Message)
	}
	var out []LintWarning
	for _, w := range results.Warnings {
		lw := LintWarning{Rule: w.RuleName, Detail: w.Detail, URL: w.URL}
		if w.Location != nil {
			lw.Line = firstLine(w.Location)
		}
		if lw.Line > 0 && req.Origin != nil {
			lw.Origin, _ = req.Origin(lw.Line)
		}
		out = append(out, lw)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out, nil
}

func firstLine(loc *pb.Location) int {
	for _, r := range loc.GetRanges() {
		if r.GetStart() != nil {
			return int(r.GetStart().GetLine())
		}
	}
	return 0
}

func lintWhere(req Request, line int) string {
	if line > 0 && req.Origin != nil {
		if o, ok := req.Origin(line); ok {
			return o
		}
	}
	if line > 0 {
		return fmt.Sprintf("Dockerfile:%d", line)
	}
	return "Dockerfile"
}
