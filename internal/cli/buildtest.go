package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

// buildAndTest builds and loads each target, runs its smoke tests, and only
// then pushes: an image whose tests failed never reaches a registry. The push
// is a second solve of the same request, which BuildKit answers from cache
// with the same digest.
func buildAndTest(ctx context.Context, o *buildOptions, s Streams, b builder.ImageBuilder, prepared []*pipeline.Prepared, reqs []builder.Request) error {
	specs, err := o.test.reportSpecs()
	if err != nil {
		return err
	}
	results, err := buildAll(ctx, b, reqs, o.progress, s)
	if err != nil {
		return err
	}
	for i, pr := range prepared {
		if err := smokeTest(ctx, &o.test, s, pr.Plan, results[i].Tags[0], specs); err != nil {
			return err
		}
	}
	if o.push {
		pushReqs := make([]builder.Request, len(reqs))
		for i, r := range reqs {
			r.Outputs = []builder.Output{{Type: builder.OutputPush}}
			pushReqs[i] = r
		}
		pushed, err := buildAll(ctx, b, pushReqs, o.progress, s)
		if err != nil {
			return err
		}
		for i := range pushed {
			if pushed[i].ManifestDigest != results[i].ManifestDigest {
				return problems(fmt.Errorf("%s: pushed digest %s differs from the tested %s", pushed[i].Name, pushed[i].ManifestDigest, results[i].ManifestDigest))
			}
		}
	}
	return o.report(results, s)
}

// writeMetadataList writes the metadata of several targets as one JSON object
// keyed by target name.
func writeMetadataList(w io.Writer, results []*builder.Result) error {
	all := map[string]builder.Metadata{}
	for _, r := range results {
		all[r.Name] = r.Metadata()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(all)
}
