package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/ccf-ai-infra/macabox/internal/builder"
)

// BuildOptions are `macabox build TARGET...`.
type BuildOptions struct {
	// Root is --root.
	Root    string
	Targets []string
	Request RequestOptions
	Builder BuilderOptions
	// Outputs are --output destinations; Load and Push add Docker and the
	// registries of the tags.
	Outputs    []builder.Output
	Load, Push bool
	// MetadataFile, when set, receives the build's metadata as JSON.
	MetadataFile string
	// Test, when set, loads each image and runs its smoke tests after the
	// build; an image whose tests failed is never pushed.
	Test *SmokeOptions
	// Err receives progress and messages.
	Err io.Writer
}

// Build builds the targets in order on one progress display and returns
// one result per target.
func Build(ctx context.Context, o BuildOptions) ([]*builder.Result, error) {
	prepared, root, err := prepareAll(o.Root, o.Targets, o.Request, o.Err)
	if err != nil {
		return nil, err
	}
	if len(prepared) > 1 && len(o.Request.Tags) > 0 {
		return nil, cannot("--tag names one image; build one target at a time to tag it")
	}
	if o.Push && len(o.Request.Tags) == 0 {
		return nil, cannot("--push needs --tag REGISTRY/NAME:TAG")
	}
	reqs, _, err := requests(ctx, o.Request, root, prepared)
	if err != nil {
		return nil, err
	}
	outputs := o.outputs()
	for i := range reqs {
		reqs[i].Outputs = outputs
	}

	engine := newDockerEngine()
	defer engine.close()
	if o.Load || o.Test != nil {
		// The image goes into Docker: an engine that does not answer is
		// found out before the build, and never replaced by another.
		if _, err := engine.ready(ctx); err != nil {
			return nil, err
		}
	}
	b, err := o.Builder.connect(ctx, engine)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	for _, r := range reqs {
		if err := b.Check(r); err != nil {
			return nil, markCannot(err)
		}
	}
	var results []*builder.Result
	if o.Test != nil {
		results, err = buildAndTest(ctx, o, b, engine, prepared, reqs)
	} else {
		results, err = buildAll(ctx, b, reqs, o.Request.Progress, o.Err)
	}
	if err != nil {
		return nil, err
	}
	if o.MetadataFile != "" {
		if err := writeMetadata(o.MetadataFile, results); err != nil {
			return results, err
		}
	}
	return results, nil
}

// buildAndTest builds and loads each target, runs its smoke tests, and only
// then pushes: an image whose tests failed never reaches a registry. The
// push is a second solve of the same request, which BuildKit answers from
// cache with the same digest.
func buildAndTest(ctx context.Context, o BuildOptions, b builder.ImageBuilder, engine *dockerEngine, prepared []*Prepared, reqs []builder.Request) ([]*builder.Result, error) {
	cli, err := engine.ready(ctx)
	if err != nil {
		return nil, err
	}
	results, err := buildAll(ctx, b, reqs, o.Request.Progress, o.Err)
	if err != nil {
		return nil, err
	}
	for i, pr := range prepared {
		p := pr.Plan
		if _, err := smokeTest(ctx, cli, *o.Test, planRun(p, results[i].Tags[0], pr.References)); err != nil {
			return nil, err
		}
	}
	if !o.Push {
		return results, nil
	}
	pushReqs := make([]builder.Request, len(reqs))
	for i, r := range reqs {
		r.Outputs = []builder.Output{{Type: builder.OutputPush}}
		pushReqs[i] = r
	}
	pushed, err := buildAll(ctx, b, pushReqs, o.Request.Progress, o.Err)
	if err != nil {
		return nil, err
	}
	for i := range pushed {
		if pushed[i].ManifestDigest != results[i].ManifestDigest {
			return nil, fmt.Errorf("%s: pushed digest %s differs from the tested %s", pushed[i].Name, pushed[i].ManifestDigest, results[i].ManifestDigest)
		}
	}
	return results, nil
}

// buildAll builds the requests on one progress display.
func buildAll(ctx context.Context, b builder.ImageBuilder, reqs []builder.Request, mode string, w io.Writer) ([]*builder.Result, error) {
	prog, err := builder.NewProgress(ctx, w, mode)
	if err != nil {
		return nil, cannot("--progress: %w", err)
	}
	for i := range reqs {
		reqs[i].Progress = prog
	}
	results, err := b.BuildMany(ctx, reqs)
	if cerr := prog.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, withBaseHint(err)
	}
	return results, nil
}

// writeMetadata writes one target's metadata, or several keyed by target.
func writeMetadata(path string, results []*builder.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return cannot("--metadata-file: %w", err)
	}
	if len(results) == 1 {
		err = results[0].WriteMetadata(f)
	} else {
		all := map[string]builder.Metadata{}
		for _, r := range results {
			all[r.Name] = r.Metadata()
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		err = enc.Encode(all)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// outputs is where each image of the build goes: --output, then Docker
// for --load and --test, then the registry for --push (a tested image is
// pushed only after its tests pass).
func (o BuildOptions) outputs() []builder.Output {
	outputs := append([]builder.Output(nil), o.Outputs...)
	if o.Load || o.Test != nil {
		outputs = append(outputs, builder.Output{Type: builder.OutputLoad})
	}
	if o.Push && o.Test == nil {
		outputs = append(outputs, builder.Output{Type: builder.OutputPush})
	}
	return outputs
}
