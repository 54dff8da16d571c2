// Command gendocs writes the recipe JSON Schema and format reference into a
// folder; `go generate ./internal/recipe` runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

func main() {
	out := flag.String("out", "docs/reference", "folder to write recipe.schema.json and recipe-format.md into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	schema, err := recipe.JSONSchema()
	if err != nil {
		return err
	}
	ref, err := recipe.FormatReference()
	if err != nil {
		return err
	}
	lockSchema, err := recipe.LockSchema()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		recipe.SchemaFile:        schema,
		recipe.ReferenceFile:     ref,
		recipe.LockSchemaFile:    lockSchema,
		recipe.LockReferenceFile: recipe.LockReference(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
