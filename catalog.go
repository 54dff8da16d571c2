// Package macabox carries the catalog: the base images under images/ and the
// layers and stacks under recipes/, with the files their copy steps take and
// their lock files, built into every macabox binary so that a recipe can
// name them from any directory. internal/catalog reads it; nothing else
// should.
package macabox

import (
	"embed"
	"io/fs"
)

// The all: prefix keeps names starting with "_" or ".", which go:embed
// otherwise drops: a Python package's __init__.py is one, and a copy step
// of its folder takes it, as it does on disk.
//
//go:embed all:images all:recipes
var catalog embed.FS

// Catalog returns the embedded images/ and recipes/ folders.
func Catalog() fs.FS { return catalog }
