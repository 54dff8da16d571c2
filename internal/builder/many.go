package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// BuildMany builds the requests of one invocation in order, on one display.
//
// Targets share a base by naming it: a request whose Contexts entry is
// NamedContext{Target: "base"} builds FROM the image of the earlier request
// named "base". That image is exported once, as an extra OCI output into a
// temporary layout, and handed to each later request by digest. So the base
// is built once, every target is built on the very same bytes, and nothing
// needs a registry. The temporary layouts are removed before BuildMany
// returns. Without Target references it is simply Build in a loop.
func (b *Builder) BuildMany(ctx context.Context, reqs []Request) (results []*Result, err error) {
	index := map[string]int{}
	for i, r := range reqs {
		if r.Name == "" {
			continue
		}
		if _, dup := index[r.Name]; dup {
			return nil, fmt.Errorf("target %q given twice", r.Name)
		}
		index[r.Name] = i
	}
	referenced := map[string]bool{}
	for i, r := range reqs {
		for name, nc := range r.Contexts {
			if nc.Target == "" {
				continue
			}
			j, ok := index[nc.Target]
			if !ok || j >= i {
				return nil, fmt.Errorf("target %q: base %q names target %q, which is not built before it", r.Name, name, nc.Target)
			}
			referenced[nc.Target] = true
		}
	}

	var tmp string
	if len(referenced) > 0 {
		tmp, err = os.MkdirTemp("", "macabox-bases-")
		if err != nil {
			return nil, err
		}
		defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
	}
	layouts := map[string]NamedContext{}
	for _, r := range reqs {
		r.Contexts = resolveTargets(r.Contexts, layouts)
		var layout string
		if referenced[r.Name] {
			layout = ociDirOutput(r.Outputs)
			if layout == "" {
				layout = filepath.Join(tmp, fmt.Sprintf("%d", len(layouts)))
				r.Outputs = append(append([]Output(nil), r.Outputs...), Output{Type: OutputOCI, Dest: layout})
			}
		}
		res, err := b.Build(ctx, r)
		if err != nil {
			if r.Name != "" {
				err = fmt.Errorf("target %s: %w", r.Name, err)
			}
			return results, err
		}
		results = append(results, res)
		if layout != "" {
			if res.ManifestDigest == "" {
				return results, fmt.Errorf("target %s: builder reported no manifest digest to use as a base", r.Name)
			}
			layouts[r.Name] = NamedContext{OCILayout: layout, Digest: res.ManifestDigest}
		}
	}
	return results, nil
}

func resolveTargets(in map[string]NamedContext, layouts map[string]NamedContext) map[string]NamedContext {
	if len(in) == 0 {
		return in
	}
	out := make(map[string]NamedContext, len(in))
	for k, nc := range in {
		if nc.Target != "" {
			nc = layouts[nc.Target]
		}
		out[k] = nc
	}
	return out
}

// ociDirOutput is the OCI directory the request already writes, if any: a
// build has at most one, and it serves as the base's layout as well.
func ociDirOutput(outs []Output) string {
	for _, o := range outs {
		if o.Type == OutputOCI && !isTarball(o.Dest) {
			return o.Dest
		}
	}
	return ""
}
