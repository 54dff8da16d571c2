package bundle

import (
	"fmt"
	"unicode/utf8"

	"github.com/ccf-ai-infra/macabox/internal/evidence"
)

// Limits on what a bundle may hold, so that a hostile one (a gzip bomb,
// millions of entries, megabyte names and link targets) is refused within
// bounded time and memory instead of exhausting the machine. Export keeps
// to them too (checkLimits), so every bundle macabox writes verifies.
const (
	// maxBundleBytes caps the bytes read: of a tarball, the decompressed tar
	// stream (headers, long names and link targets, contents, padding); of a
	// directory, its names and contents.
	maxBundleBytes = 1 << 30
	// maxBundleEntries caps the entries, refused ones included.
	maxBundleEntries = 20_000
	// maxNameBytes caps a name; every name is kept while reading.
	maxNameBytes = 1024
	// maxProblems caps the problems named; reading stops at that many
	// refusals, and a report lists no more.
	maxProblems = 100
	// maxProblemText caps a name or detail quoted in a problem.
	maxProblemText = 256
	// maxListingBytes and maxListingEntries cap a layer listing,
	// decompressed, and the listing of a rebuilt layer compared with it.
	maxListingBytes   = 64 << 20
	maxListingEntries = 500_000
)

// keptLimit names the files read into memory, with the most of each that
// is: what verification and a reproduction parse. Everything else is only
// hashed (and, for a reproduction, copied to disk).
var keptLimit = map[string]int64{
	SumsName:       32 << 20,
	DockerfileName: 8 << 20,
	// The in-toto statement is checked against the bundle, and so against
	// expected.json's digests.
	evidence.StatementName: 1 << 20,
	ExpectedName:           32 << 20,
}

// readLimit caps the files a reproduction reads back from its copy of the
// bundle.
var readLimit = map[string]int64{
	ExpectedName: 32 << 20,
	TestsName:    32 << 20,
	ConfigName:   8 << 20,
}

// checkLimits refuses to write a bundle that verify would refuse.
func checkLimits(files Files) error {
	if len(files)+len(files.parents()) > maxBundleEntries {
		return fmt.Errorf("%d files: a bundle holds at most %d entries", len(files), maxBundleEntries)
	}
	var total int64
	for _, f := range files {
		if len(f.Name) > maxNameBytes {
			return fmt.Errorf("bundle file %q: names are at most %d bytes", clip(f.Name), maxNameBytes)
		}
		for _, limits := range []map[string]int64{keptLimit, readLimit} {
			if limit, ok := limits[f.Name]; ok && int64(len(f.Data)) > limit {
				return fmt.Errorf("%s: %d bytes, more than the %s macabox reads of it", f.Name, len(f.Data), sizeText(limit))
			}
		}
		// A tar header, a PAX header for a long name, the content padded
		// to whole blocks.
		total += 3*512 + int64(len(f.Name)) + (int64(len(f.Data))+511)/512*512
	}
	if total > maxBundleBytes {
		return fmt.Errorf("the files take %s; a bundle holds at most %s", sizeText(total), sizeText(maxBundleBytes))
	}
	return nil
}

// clip shortens text quoted from a bundle in a problem, keeping whole UTF-8
// sequences where there are any.
func clip(s string) string {
	if len(s) <= maxProblemText {
		return s
	}
	cut := maxProblemText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes)", len(s))
}

// sizeText writes a byte count in binary units, to three digits.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.3g GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.3g MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.3g KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
