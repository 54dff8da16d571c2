package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"github.com/ccf-ai-infra/macabox"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// Label names the catalog in positions: a problem in an embedded file reads
// catalog:recipes/mineru/mineru.yaml:12:3.
const Label = "catalog"

// Load reads the catalog's recipes. Each document's File is
// "catalog:<path>" and its Embedded field leads to the catalog's files.
// The catalog cannot change while macabox runs, and a build reads it more
// than once (about 10 ms of YAML each time), so it is parsed once: every
// call gets its own Set, sharing the documents, which no one changes.
func Load() (*recipe.Set, error) {
	set, err := parsed()
	if set == nil {
		return nil, err
	}
	return &recipe.Set{Root: set.Root, Docs: slices.Clone(set.Docs)}, err
}

var parsed = sync.OnceValues(func() (*recipe.Set, error) {
	return recipe.LoadFS(macabox.Catalog(), Label)
})

// Files lists the catalog's files, slash-separated paths in walk order.
func Files() ([]string, error) {
	var files []string
	err := fs.WalkDir(macabox.Catalog(), ".", func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			files = append(files, p)
		}
		return err
	})
	return files, err
}

// Digest names the catalog's content: "sha256:<hex>" over every file's
// path and bytes. Two binaries with the same digest carry the same bases and
// layers, whatever their version says.
func Digest() (string, error) {
	files, err := Files()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, f := range files {
		data, err := ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// ReadFile returns the content of the catalog's file name (a path Files
// lists).
func ReadFile(name string) ([]byte, error) {
	return fs.ReadFile(macabox.Catalog(), name)
}
