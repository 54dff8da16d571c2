package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// fileEntry is one entry of a layer, as its listing records it: enough to
// say which files two builds of a layer disagree on, and in what.
type fileEntry struct {
	Path string
	Type byte   // f file, d dir, l symlink, h hard link, c/b device, p fifo
	Mode uint32 // permission and set-id bits
	UID  int
	GID  int
	Size int64
	// Mtime is in seconds; rewrite-timestamp sets it to the epoch.
	Mtime int64
	// Digest is the sha256 of a file's content; Link a link's target.
	Digest string
	Link   string
}

// listingHeader starts every layer listing, naming its columns.
const listingHeader = "# macabox layer listing v1: path\ttype+mode\tuid:gid\tsize\tmtime\tsha256 or link target\n"

// errListingTooLarge is a layer with more to list than a bundle's listing
// may hold (maxListingEntries, maxListingBytes).
var errListingTooLarge = fmt.Errorf("more than %d entries or %s to list, the most a layer listing holds", maxListingEntries, sizeText(maxListingBytes))

// listLayer reads one layer blob (tar, optionally gzip'd) and returns its
// entries in path order. capture is called with the content of the files
// whose path it accepts, for the package inventory. capped stops at the
// listing limits, for a layer a hostile Dockerfile made. The listing is the
// bundle's own format, fixed so that one layer always gives the same bytes
// and a reviewer can read it with zcat; image libraries offer layer access,
// not such a listing, and archive/tar is all it needs.
func listLayer(r io.Reader, mediaType string, capped bool, capture func(path string) bool, captured func(path string, data []byte)) ([]fileEntry, error) {
	var tr *tar.Reader
	switch {
	case strings.HasSuffix(mediaType, "+gzip") || strings.HasSuffix(mediaType, ".gzip"):
		zr, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<20))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		tr = tar.NewReader(zr)
	case strings.HasSuffix(mediaType, ".tar") || strings.HasSuffix(mediaType, "tar"):
		tr = tar.NewReader(r)
	default:
		return nil, fmt.Errorf("layers of type %s cannot be listed", mediaType)
	}
	var out []fileEntry
	var size int
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		size += len(h.Name) + len(h.Linkname) + 100
		if capped && (len(out) == maxListingEntries || size > maxListingBytes) {
			return nil, errListingTooLarge
		}
		e := fileEntry{
			Path: strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/"),
			Mode: uint32(h.Mode) & 0o7777, UID: h.Uid, GID: h.Gid,
			Size: h.Size, Mtime: h.ModTime.Unix(),
		}
		switch h.Typeflag {
		case tar.TypeReg:
			e.Type = 'f'
			sum := sha256.New()
			var w io.Writer = sum
			var keep *bytes.Buffer
			if capture != nil && capture(e.Path) && h.Size <= 64<<20 {
				keep = &bytes.Buffer{}
				w = io.MultiWriter(sum, keep)
			}
			if _, err := io.Copy(w, tr); err != nil {
				return nil, fmt.Errorf("reading %s: %w", e.Path, err)
			}
			e.Digest = hex.EncodeToString(sum.Sum(nil))
			if keep != nil {
				captured(e.Path, keep.Bytes())
			}
		case tar.TypeDir:
			e.Type, e.Size = 'd', 0
		case tar.TypeSymlink:
			e.Type, e.Link = 'l', h.Linkname
		case tar.TypeLink:
			e.Type, e.Link = 'h', h.Linkname
		case tar.TypeChar:
			e.Type, e.Link = 'c', fmt.Sprintf("%d,%d", h.Devmajor, h.Devminor)
		case tar.TypeBlock:
			e.Type, e.Link = 'b', fmt.Sprintf("%d,%d", h.Devmajor, h.Devminor)
		case tar.TypeFifo:
			e.Type = 'p'
		default:
			e.Type = '?'
		}
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b fileEntry) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// encodeListing renders entries as the gzip'd TSV a bundle stores. The gzip
// stream carries no name or time, so the same layer gives the same bytes. A
// listing larger than a reproduction reads is errListingTooLarge.
func encodeListing(entries []fileEntry) ([]byte, error) {
	if len(entries) > maxListingEntries {
		return nil, errListingTooLarge
	}
	var raw bytes.Buffer
	raw.WriteString(listingHeader)
	for _, e := range entries {
		last := e.Digest
		if e.Type != 'f' {
			last = "-> " + e.Link
		}
		if e.Type == 'd' || e.Type == 'p' {
			last = "-"
		}
		fmt.Fprintf(&raw, "%s\t%c%04o\t%d:%d\t%d\t%d\t%s\n",
			escapeField(e.Path), e.Type, e.Mode, e.UID, e.GID, e.Size, e.Mtime, escapeField(last))
	}
	if raw.Len() > maxListingBytes {
		return nil, errListingTooLarge
	}
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// listing reads the layer listing name of a verified bundle.
func (b *Opened) listing(name string) ([]fileEntry, error) {
	f, err := b.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := decodeListing(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return entries, nil
}

// decodeListing reads a listing written by encodeListing. The listing comes
// from the bundle, so what it decompresses to is capped, in bytes and in
// entries, like the bundle itself.
func decodeListing(r io.Reader) ([]fileEntry, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	plain := &capped{r: zr, left: maxListingBytes}
	sc := bufio.NewScanner(plain)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	tooLarge := fmt.Errorf("it decompresses to more than %s, the most macabox reads of a listing", sizeText(maxListingBytes))
	var out []fileEntry
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if plain.over {
			// The line may be cut short where the cap fell.
			return nil, tooLarge
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		if len(out) == maxListingEntries {
			return nil, fmt.Errorf("more than %d entries, the most macabox compares", maxListingEntries)
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 || len(f[1]) < 2 {
			return nil, fmt.Errorf("listing line %d: want 6 tab-separated fields", n)
		}
		e := fileEntry{Path: unescapeField(f[0]), Type: f[1][0]}
		mode, err1 := strconv.ParseUint(f[1][1:], 8, 32)
		uid, gid, _ := strings.Cut(f[2], ":")
		u, err2 := strconv.Atoi(uid)
		g, err3 := strconv.Atoi(gid)
		size, err4 := strconv.ParseInt(f[3], 10, 64)
		mtime, err5 := strconv.ParseInt(f[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil {
			return nil, fmt.Errorf("listing line %d: malformed numbers", n)
		}
		e.Mode, e.UID, e.GID, e.Size, e.Mtime = uint32(mode), u, g, size, mtime
		last := unescapeField(f[5])
		switch {
		case e.Type == 'f':
			e.Digest = last
		case strings.HasPrefix(last, "-> "):
			e.Link = strings.TrimPrefix(last, "-> ")
		}
		out = append(out, e)
	}
	if plain.over {
		return nil, tooLarge
	}
	return out, sc.Err()
}

// capped reads at most left bytes of r and then reports the end, noting
// whether r had more.
type capped struct {
	r    io.Reader
	left int64
	over bool
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			c.over = true
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

var fieldEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func escapeField(s string) string { return fieldEscaper.Replace(s) }

func unescapeField(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// fileChange is how one path differs between two listings of a layer.
type fileChange struct {
	Path string `json:"path"`
	// Change is "added", "removed" or the changed attributes, e.g.
	// "content, size".
	Change   string `json:"change"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
}

// diffListings names the paths whose entries differ, in path order.
func diffListings(want, got []fileEntry) []fileChange {
	w := map[string]fileEntry{}
	for _, e := range want {
		w[e.Path] = e
	}
	g := map[string]fileEntry{}
	for _, e := range got {
		g[e.Path] = e
	}
	var out []fileChange
	for _, e := range want {
		a, ok := g[e.Path]
		if !ok {
			out = append(out, fileChange{Path: e.Path, Change: "removed", Expected: e.summary()})
			continue
		}
		if what := e.differences(a); what != "" {
			out = append(out, fileChange{Path: e.Path, Change: what, Expected: e.summary(), Actual: a.summary()})
		}
	}
	for _, e := range got {
		if _, ok := w[e.Path]; !ok {
			out = append(out, fileChange{Path: e.Path, Change: "added", Actual: e.summary()})
		}
	}
	slices.SortStableFunc(out, func(a, b fileChange) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func (e fileEntry) differences(o fileEntry) string {
	var what []string
	if e.Type != o.Type {
		what = append(what, "type")
	}
	if e.Digest != o.Digest {
		what = append(what, "content")
	}
	if e.Link != o.Link {
		what = append(what, "link target")
	}
	if e.Mode != o.Mode {
		what = append(what, "mode")
	}
	if e.UID != o.UID || e.GID != o.GID {
		what = append(what, "owner")
	}
	if e.Size != o.Size {
		what = append(what, "size")
	}
	if e.Mtime != o.Mtime {
		what = append(what, "mtime")
	}
	return strings.Join(what, ", ")
}

func (e fileEntry) summary() string {
	s := fmt.Sprintf("%c%04o %d:%d %dB mtime %d", e.Type, e.Mode, e.UID, e.GID, e.Size, e.Mtime)
	switch {
	case e.Digest != "":
		s += " sha256:" + short(e.Digest)
	case e.Link != "":
		s += " -> " + e.Link
	}
	return s
}
