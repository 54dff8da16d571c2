package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/bundle"
	"github.com/ccf-ai-infra/macabox/internal/catalog"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// withCatalog adds to local the documents of the catalog built into
// macabox that local does not define itself. A local document named like a
// catalog one replaces it when both are of one kind (an Image overrides an
// Image); of different kinds, the two cannot both be meant, and that is a
// problem naming both files.
func withCatalog(local *recipe.Set) (*recipe.Set, recipe.Errors, error) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the catalog built into macabox: %w", err)
	}
	mine := map[string]*recipe.Document{}
	for _, d := range local.Docs {
		if _, seen := mine[d.Name()]; !seen {
			mine[d.Name()] = d
		}
	}
	out := &recipe.Set{Root: local.Root, Docs: slices.Clip(local.Docs)}
	var errs recipe.Errors
	for _, c := range cat.Docs {
		d, ok := mine[c.Name()]
		switch {
		case !ok:
			out.Docs = append(out.Docs, c)
		case d.Kind() != c.Kind():
			h := d.Header()
			errs = append(errs, &recipe.Error{Pos: h.Name.Pos, Field: "name", Msg: fmt.Sprintf(
				"%s %q shadows the catalog's %s of that name (%s); a document replaces a catalog one only when both are of one kind: rename this one",
				d.Kind(), c.Name(), c.Kind(), c.Pos)})
		}
	}
	return out, errs, nil
}

// Override is a document of the user's tree that replaces the catalog's
// document of the same name and kind.
type Override struct {
	Local, Catalog *recipe.Document
	// Copy says the local file holds exactly the catalog's file (a tree
	// made with `macabox catalog export`, or macabox's own): nothing is
	// changed by the override.
	Copy bool
}

// CatalogOverrides lists the documents of set, as LoadSet read it, that
// replace one of the catalog, in the order of set.
func CatalogOverrides(set *recipe.Set) ([]Override, error) {
	if set == nil {
		return nil, nil
	}
	cat, err := catalog.Load()
	if err != nil {
		return nil, cannot("reading the catalog built into macabox: %w", err)
	}
	var out []Override
	for _, d := range set.Docs {
		if d.Embedded != nil {
			continue
		}
		if c, ok := cat.Lookup(d.Name()); ok && c.Kind() == d.Kind() {
			out = append(out, Override{Local: d, Catalog: c, Copy: sameFile(d, c)})
		}
	}
	return out, nil
}

// sameFile reports whether the local document's file holds the bytes of the
// catalog document's file.
func sameFile(local, cat *recipe.Document) bool {
	mine, err := os.ReadFile(local.File)
	if err != nil {
		return false
	}
	theirs, err := fs.ReadFile(cat.Embedded.FS, cat.Embedded.Path)
	return err == nil && bytes.Equal(mine, theirs)
}

// CatalogDigest names the content of the catalog built into macabox (see
// catalog.Digest).
func CatalogDigest() (string, error) {
	d, err := catalog.Digest()
	if err != nil {
		return "", cannot("reading the catalog built into macabox: %w", err)
	}
	return d, nil
}

// ExportCatalog writes every file of the catalog below dir (images/...,
// recipes/...) and returns their paths. It never replaces a file: when any
// of them exists already, it writes nothing and says which.
func ExportCatalog(dir string) ([]string, error) {
	files, err := catalog.Files()
	if err != nil {
		return nil, cannot("reading the catalog built into macabox: %w", err)
	}
	var existing []string
	for _, f := range files {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f))); err == nil {
			existing = append(existing, f)
		}
	}
	if len(existing) > 0 {
		more := ""
		if len(existing) > 3 {
			more = fmt.Sprintf(" and %d more", len(existing)-3)
			existing = existing[:3]
		}
		return nil, cannot("%s already holds %s%s: the catalog is written only where none of its files exist; choose another folder", dir, strings.Join(existing, ", "), more)
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		data, err := catalog.ReadFile(f)
		if err == nil {
			err = writeNew(p, data)
		}
		if err != nil {
			return written, cannot("writing %s: %w", p, err)
		}
		written = append(written, p)
	}
	return written, nil
}

// writeNew writes data to p, creating its folder; p must not exist.
func writeNew(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// thisMacabox is the running macabox as a bundle records it.
func thisMacabox(version string) (*bundle.Tool, error) {
	digest, err := CatalogDigest()
	if err != nil {
		return nil, err
	}
	return &bundle.Tool{Version: version, Catalog: digest}, nil
}
