// Package pyindex serves a PEP 503 "simple" Python package index from a test,
// with pure-Python wheels the test describes in Go. No PyPI is reachable
// where macabox is tested (DESIGN.md §5), so this is how pip steps, and
// keep's protection of a vendor torch, are exercised against a real pip.
package pyindex

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Wheel describes a pure-Python wheel (tag py3-none-any).
type Wheel struct {
	// Name is the distribution name as written in METADATA, e.g. "macabox-probe".
	Name string
	// Version is written as given; use a normalized PEP 440 version.
	Version string
	// Requires are Requires-Dist lines, e.g. "torch>=9".
	Requires []string
	// Files maps archive paths to their content. When empty, the wheel holds
	// <module>/__init__.py setting __version__, so that importing it tells
	// which version was installed.
	Files map[string]string
}

// zipTime is the earliest time a zip entry can carry: the wheel's bytes then
// depend on its description alone.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

var separators = regexp.MustCompile(`[-_.]+`)

// Normalize is a project name as PEP 503 compares it.
func Normalize(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

// Module is the import name of the default package: the normalized name with
// "_" for "-".
func (w Wheel) Module() string { return strings.ReplaceAll(Normalize(w.Name), "-", "_") }

// Filename is the wheel's file name (PEP 427), its name part escaped as the
// binary distribution format asks.
func (w Wheel) Filename() string {
	return fmt.Sprintf("%s-%s-py3-none-any.whl", w.Module(), w.Version)
}

func (w Wheel) distInfo() string { return fmt.Sprintf("%s-%s.dist-info", w.Module(), w.Version) }

func (w Wheel) check() error {
	if w.Name == "" || w.Version == "" {
		return fmt.Errorf("pyindex: a wheel needs a name and a version (got %q %q)", w.Name, w.Version)
	}
	if strings.ContainsAny(w.Version, "-/ ") {
		return fmt.Errorf("pyindex: wheel %s: version %q cannot go in a file name", w.Name, w.Version)
	}
	for _, r := range w.Requires {
		if strings.ContainsAny(r, "\r\n") {
			return fmt.Errorf("pyindex: wheel %s: Requires-Dist %q spans lines", w.Name, r)
		}
	}
	for name := range w.Files {
		clean := path.Clean(name)
		if strings.ContainsAny(name, ",\r\n") {
			// RECORD is CSV; keeping names plain keeps it unquoted.
			return fmt.Errorf("pyindex: wheel %s: file %q: commas and line breaks are not supported", w.Name, name)
		}
		if clean != name || path.IsAbs(name) || strings.HasPrefix(name, "../") || name == ".." {
			return fmt.Errorf("pyindex: wheel %s: file %q is not a clean relative path", w.Name, name)
		}
		if strings.HasPrefix(name, w.distInfo()+"/") {
			return fmt.Errorf("pyindex: wheel %s: %s is written by pyindex", w.Name, name)
		}
	}
	return nil
}

// Bytes builds the wheel. The same Wheel always gives the same bytes: fixed
// entry times and modes, payload entries sorted, then the .dist-info files
// with RECORD last, since it lists the hash of every other entry (PEP 376,
// PEP 427).
func (w Wheel) Bytes() ([]byte, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	files := w.Files
	if len(files) == 0 {
		files = map[string]string{w.Module() + "/__init__.py": fmt.Sprintf("__version__ = %q\n", w.Version)}
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)

	var meta strings.Builder
	fmt.Fprintf(&meta, "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: test wheel made by macabox pyindex\n", w.Name, w.Version)
	for _, r := range w.Requires {
		fmt.Fprintf(&meta, "Requires-Dist: %s\n", r)
	}
	info := w.distInfo()
	type entry struct{ name, body string }
	entries := make([]entry, 0, len(names)+2)
	for _, name := range names {
		entries = append(entries, entry{name, files[name]})
	}
	entries = append(entries,
		entry{info + "/METADATA", meta.String()},
		entry{info + "/WHEEL", "Wheel-Version: 1.0\nGenerator: macabox pyindex\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	)

	var record strings.Builder
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) error {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(0o644)
		f, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = f.Write([]byte(body))
		return err
	}
	for _, e := range entries {
		if err := add(e.name, e.body); err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(e.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", e.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.body))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", info)
	if err := add(info+"/RECORD", record.String()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
