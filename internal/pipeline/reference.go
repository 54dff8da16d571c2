package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/evidence"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
	"github.com/ccf-ai-infra/macabox/internal/smoke"
)

// ReferenceOptions are `macabox reference record TARGET --image REF_IMAGE`.
type ReferenceOptions struct {
	// Root is --root.
	Root   string
	Target string
	// Image is the reference image: a CUDA image on an NVIDIA host, or a
	// CPU image.
	Image string
	// Args are the build arguments the target's tests are planned with.
	Args  map[string]string
	Smoke SmokeOptions
	// Version is macabox's, recorded in the provenance.
	Version string
	Now     func() time.Time
}

// Recorded says what a recording wrote.
type Recorded struct {
	// Dir is the target's reference folder.
	Dir string
	// Files are the reference files written.
	Files []string
	// Skipped names the tests not recorded, with the reason.
	Skipped []string
	Report  *smoke.Report
}

// ErrNotRecorded is wrapped when a test ran on the reference image but
// gave nothing to record.
var ErrNotRecorded = errors.New("not every reference was recorded")

// RecordReferences runs a target's compare and bench tests in the reference
// image with the chosen device profile and writes what each passing test
// captured or measured, with its provenance, to refs/<target>/ beside the
// target's recipe. A test that fails or is skipped there records nothing
// (an older record stays) and makes the error wrap ErrNotRecorded.
func RecordReferences(ctx context.Context, o ReferenceOptions) (*Recorded, error) {
	if o.Image == "" {
		return nil, cannot("give the reference image with --image REF_IMAGE: a CUDA image on an NVIDIA host (--device nvidia), or a CPU image")
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	engine := newDockerEngine()
	defer engine.close()
	tt, err := testTarget(ctx, engine, TestOptions{Root: o.Root, Target: o.Target, Image: o.Image, Args: o.Args})
	if err != nil {
		return nil, err
	}
	p, image := tt.plan, tt.image
	var tests []smoke.Test
	for _, t := range planTests(p) {
		if smoke.WantsReference(t) {
			t.Against = &smoke.Against{Recording: true}
			tests = append(tests, t)
		}
	}
	if len(tests) == 0 {
		return nil, cannot("%s has no test with compare: or bench:, so there is nothing to record", p.Target)
	}
	cli, err := engine.ready(ctx)
	if err != nil {
		return nil, err
	}
	box, err := o.Smoke.container(p.Runtime)
	if err != nil {
		return nil, err
	}
	rep, err := runSmoke(ctx, cli, o.Smoke, smokeRun{target: p.Target, image: image, tests: tests, runtime: p.Runtime}, box)
	if rep != nil {
		if werr := writeSmokeReports(rep, o.Smoke); werr != nil {
			return nil, werr
		}
	}
	if err != nil {
		return nil, err
	}
	prov := evidence.NewProvenance(rep, string(box.spec.Profile), o.Version, now())
	out := &Recorded{Dir: tt.refs, Report: rep}
	for i, res := range rep.Results {
		ref, err := evidence.NewReference(p.Target, tests[i], res, prov)
		if err != nil {
			out.Skipped = append(out.Skipped, err.Error())
			continue
		}
		file, err := evidence.WriteReference(out.Dir, ref)
		if err != nil {
			return out, cannot("writing the reference of %q: %w", res.Name, err)
		}
		out.Files = append(out.Files, file)
	}
	if len(out.Skipped) > 0 {
		return out, fmt.Errorf("%w: %d of %d tests recorded nothing", ErrNotRecorded, len(out.Skipped), len(tests))
	}
	return out, nil
}

// referenceDir is where the references of a target of set live.
func referenceDir(set *recipe.Set, target string) string {
	doc, ok := set.Lookup(target)
	if !ok {
		return ""
	}
	return evidence.ReferenceDir(doc.File, target)
}

// withReferences attaches to each compare and bench test the reference
// recorded for it under dir, or the message that says none is.
func withReferences(tests []smoke.Test, dir, target string) []smoke.Test {
	out := make([]smoke.Test, len(tests))
	for i, t := range tests {
		if smoke.WantsReference(t) {
			t.Against = against(dir, target, t.Name)
		}
		out[i] = t
	}
	return out
}

// against reads one test's reference.
func against(dir, target, test string) *smoke.Against {
	file := filepath.Join(dir, evidence.FileName(test))
	ref, err := evidence.ReadReference(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &smoke.Against{Missing: fmt.Sprintf("no reference recorded for %s test %q (%s), run macabox reference record %s --image REF_IMAGE",
			target, test, RelPath(file), target)}
	case err != nil:
		return &smoke.Against{Missing: fmt.Sprintf("the reference of %s test %q cannot be read (%v), record it again: macabox reference record %s --image REF_IMAGE",
			target, test, err, target)}
	case ref.Test != test:
		return &smoke.Against{Missing: fmt.Sprintf("%s records test %q, not %q; record it again: macabox reference record %s --image REF_IMAGE",
			RelPath(file), ref.Test, test, target)}
	}
	return &smoke.Against{Reference: ref.Smoke()}
}

// withBundleReferences attaches to each compare and bench test of a bundle
// the reference the bundle carries for it, or says it carries none.
func withBundleReferences(tests []smoke.Test, refs map[string]*evidence.Reference, target string) []smoke.Test {
	out := make([]smoke.Test, len(tests))
	for i, t := range tests {
		if smoke.WantsReference(t) {
			if r, ok := refs[t.Name]; ok {
				t.Against = &smoke.Against{Reference: r.Smoke()}
			} else {
				t.Against = &smoke.Against{Missing: fmt.Sprintf("the bundle carries no reference for test %q, so it cannot be compared here; the contributor records one (macabox reference record %s --image REF_IMAGE) and exports again",
					t.Name, target)}
			}
		}
		out[i] = t
	}
	return out
}
