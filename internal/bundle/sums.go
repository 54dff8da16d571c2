package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
)

// withSums returns the files sorted, with SHA256SUMS added: one
// "<hex>  <name>" line per other file, in name order, which is what
// `sha256sum -c SHA256SUMS` reads.
func withSums(files Files) (Files, error) {
	sorted, err := files.sorted()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	for _, f := range sorted {
		if f.Name == SumsName {
			return nil, fmt.Errorf("%s is written by the bundle itself", SumsName)
		}
		fmt.Fprintf(&b, "%s  %s\n", sha256Hex(f.Data), f.Name)
	}
	all, err := Files(append(sorted, File{Name: SumsName, Data: b.Bytes()})).sorted()
	if err != nil {
		return nil, err
	}
	return all, checkLimits(all)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// sumLine is sha256sum's output line: text mode ("  ") or binary (" *").
var sumLine = regexp.MustCompile(`^([0-9a-f]{64}) [ *](.+)$`)

// parseSums reads SHA256SUMS into name → hex digest. A line that is not
// sha256sum's form, a name that is not safe, or a name listed twice makes
// the whole file unusable: it is what everything else is checked against.
func parseSums(data []byte) (map[string]string, error) {
	sums := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		m := sumLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s line %d: not \"<sha256>  <file>\": %q", SumsName, n, line)
		}
		name := m[2]
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", SumsName, n, err)
		}
		if name == SumsName {
			return nil, fmt.Errorf("%s line %d: lists itself", SumsName, n)
		}
		if _, dup := sums[name]; dup {
			return nil, fmt.Errorf("%s line %d: %s is listed twice", SumsName, n, name)
		}
		sums[name] = m[1]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", SumsName, err)
	}
	return sums, nil
}
