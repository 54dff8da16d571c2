package cli

//go:generate go run ./gendocs ../../docs/reference/cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// ReferenceFiles renders the CLI reference: one Markdown page per command,
// keyed by file name. It is what docs/reference/cli holds, and a test keeps
// the two in sync.
func ReferenceFiles() (map[string][]byte, error) {
	root := NewRootCommand(Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard})
	root.DisableAutoGenTag = true // a date in the page would make it drift every day
	files := map[string][]byte{}
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		if !c.IsAvailableCommand() && c != root {
			return nil
		}
		var buf bytes.Buffer
		if err := doc.GenMarkdownCustom(c, &buf, linkHandler); err != nil {
			return fmt.Errorf("rendering %s: %w", c.CommandPath(), err)
		}
		files[pageName(c)] = buf.Bytes()
		for _, sub := range c.Commands() {
			c.DisableAutoGenTag = true
			sub.DisableAutoGenTag = true
			if err := walk(sub); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	return files, nil
}

// WriteReference replaces the Markdown pages in dir with freshly rendered ones.
func WriteReference(dir string) error {
	files, err := ReferenceFiles()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "macabox*.md"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func pageName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "_") + ".md"
}

func linkHandler(name string) string { return name }
