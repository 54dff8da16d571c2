package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/bundle"
)

// ExportOptions are `macabox export TARGET -o OUT`.
type ExportOptions struct {
	// Root is --root.
	Root    string
	Target  string
	Request RequestOptions
	Builder BuilderOptions
	// Out is a new or empty directory, or FILE.tar.gz.
	Out string
	// TempDir holds the image while the bundle is made; "" is the system's.
	TempDir string
	// TestReport is a CTRF report of macabox test on the image, carried as
	// evidence; "" for none.
	TestReport string
	// Err receives progress and messages.
	Err io.Writer
	// Version is macabox's, recorded in the bundle with its catalog's digest.
	Version string
}

// Export builds the target reproducibly, exactly as Build does, and writes
// its bundle.
func Export(ctx context.Context, o ExportOptions) (*bundle.ExportResult, error) {
	if err := checkExportDest(o.Out); err != nil {
		return nil, err
	}
	if o.Request.NoReproducible {
		return nil, cannot("a bundle is rebuilt bit for bit: it cannot be made without a SOURCE_DATE_EPOCH")
	}
	tg, err := ResolveTarget(o.Root, o.Target)
	if err != nil {
		return nil, err
	}
	ex, err := prepareExport(ctx, o, tg)
	if err != nil {
		return nil, err
	}
	b, err := o.Builder.connect(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	// A test report that cannot go into the bundle is the user's to mend
	// (exit 2) when it is the one export; in a matrix it fails its cell.
	res, _, err := ex.write(ctx, b, o.Out)
	return res, markCannotEvidence(err)
}

// export is a target planned for its bundle, with the request that
// builds it.
type export struct {
	o     ExportOptions
	tg    *Target
	pr    *Prepared
	req   builder.Request
	epoch Epoch
	// ev is what the bundle carries besides the build; warnings say what
	// it lacks.
	ev       bundle.Evidence
	warnings []string
}

// prepareExport plans the target as its bundle needs: locked whenever it
// has a lock, and with a request that pins the epoch.
func prepareExport(ctx context.Context, o ExportOptions, tg *Target) (*export, error) {
	// A bundle is built locked whenever the stack has a lock: it then ships
	// the lock, and its Dockerfile is the pinned one.
	if l, _, err := lockSiteOf(tg).read(); l != nil || err != nil {
		o.Request.Locked = true
	}
	pr, err := prepareTarget(tg, o.Request)
	if err != nil {
		return nil, err
	}
	for _, w := range pr.Plan.Warnings {
		fmt.Fprintf(o.Err, "warning: %s\n", w)
	}
	if pr.Plan.Lock == nil {
		if n := len(pr.Plan.UnlockedInputs()); n > 0 {
			fmt.Fprintf(o.Err, "warning: %s has no lock: %d input(s) unlocked, so a rebuild next month may differ; run macabox lock %s (on a host that reaches its registries and indexes) and export again\n", tg.Name, n, tg.Name)
		}
	}
	ev, warnings, err := bundleEvidence(tg, pr, o.TestReport)
	if err != nil {
		return nil, err
	}
	reqs, epochs, err := requests(ctx, o.Request, tg.Root, []*Prepared{pr})
	if err != nil {
		return nil, err
	}
	return &export{o: o, tg: tg, pr: pr, req: reqs[0], epoch: epochs[0], ev: ev, warnings: warnings}, nil
}

// write builds the image into a temporary OCI layout and writes the bundle
// to out. It returns the build's result too.
func (ex *export) write(ctx context.Context, b builder.ImageBuilder, out string) (*bundle.ExportResult, *builder.Result, error) {
	o, req := ex.o, ex.req
	if err := b.Check(req); err != nil {
		return nil, nil, markCannot(err)
	}
	tmp, err := os.MkdirTemp(o.TempDir, "macabox-export-")
	if err != nil {
		return nil, nil, cannot("%w", err)
	}
	defer os.RemoveAll(tmp)
	layout := filepath.Join(tmp, "oci")
	req.Outputs = []builder.Output{{Type: builder.OutputOCI, Dest: layout}}
	results, err := buildAll(ctx, b, []builder.Request{req}, o.Request.Progress, o.Err)
	if err != nil {
		return nil, nil, err
	}
	tool, err := thisMacabox(o.Version)
	if err != nil {
		return nil, nil, err
	}
	res, err := bundle.Write(bundle.WriteOptions{
		Plan: ex.pr.Plan, Rendered: ex.pr.Rendered, Set: ex.tg.Set,
		Request: req, EpochSource: ex.epoch.Source, Result: results[0],
		Layout: layout, Out: out, Lock: ex.pr.LockData, Evidence: ex.ev,
		Macabox: tool,
	})
	if err != nil {
		return nil, nil, err
	}
	res.Warnings = append(res.Warnings, ex.warnings...)
	return res, results[0], nil
}

// checkExportDest refuses, before any build, a destination the bundle could
// not be written to.
func checkExportDest(out string) error {
	if out == "" {
		return cannot("give the bundle's destination with -o DIR or -o FILE.tar.gz")
	}
	if bundle.IsTarball(out) {
		if fi, err := os.Stat(out); err == nil && fi.IsDir() {
			return cannot("-o %s is a directory", out)
		}
		return nil
	}
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return cannot("-o %s: %w", out, err)
	case len(entries) > 0:
		return cannot("-o %s exists and is not empty: give a new directory (a bundle is a closed set of files)", out)
	}
	return nil
}
