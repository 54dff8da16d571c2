package bundle

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// tarRecord is the unit tar and other archivers pad an archive to (20
// blocks of 512 bytes): after the end marker, zeros up to the next record
// boundary are padding, anything else is data a bundle may not carry.
const tarRecord = 20 * 512

func (r *reader) readTarballFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return r.readTarball(f)
}

// readTarball reads a gzip'd tar entry by entry, never extracting anything
// but regular files (and those only into out): links, devices, absolute
// paths, ".." components, duplicates, odd modes, extended attributes and
// anything but regular files and directories are refused by name. The tar
// stream is counted as it is decompressed, so names, link targets, headers,
// padding and contents all count against the limit.
func (r *reader) readTarball(f io.Reader) error {
	br := bufio.NewReaderSize(f, 64<<10)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return fmt.Errorf("not a gzip'd tarball: %w", err)
	}
	defer zr.Close()
	// One gzip member: a second one, appended, is refused below rather than
	// read as part of the archive.
	zr.Multistream(false)
	stream := &counted{r: zr, rd: r}
	tr := tar.NewReader(stream)
	for {
		h, err := tr.Next()
		if r.stop != nil {
			return errStop
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the tarball: %w", err)
		}
		stream.name = h.Name
		if err := r.tarEntry(h, tr); err != nil {
			return err
		}
		if r.stop != nil {
			return errStop
		}
	}
	return r.tarTrailer(stream, br)
}

func (r *reader) tarEntry(h *tar.Header, body io.Reader) error {
	name, ok := r.entry(h.Name)
	if !ok {
		return nil
	}
	if why := refusedRecords(h); why != "" {
		r.refuse(h.Name, why)
		return nil
	}
	perm := h.Mode & 0o7777
	switch h.Typeflag {
	case tar.TypeDir:
		if perm&0o7000 != 0 {
			r.refuse(h.Name, fmt.Sprintf("directory mode %04o: setuid, setgid or sticky", perm))
			return nil
		}
		r.dir(h.Name, name)
		return nil
	case tar.TypeReg:
	case tar.TypeXGlobalHeader:
		// git archive writes one, with the commit in a comment record.
		for k := range h.PAXRecords {
			if k != "comment" {
				r.refuse(h.Name, "a global PAX header with the record "+k)
				break
			}
		}
		return nil
	case tar.TypeSymlink:
		r.refuse(h.Name, "symbolic link to "+h.Linkname)
		return nil
	case tar.TypeLink:
		r.refuse(h.Name, "hard link to "+h.Linkname)
		return nil
	case tar.TypeChar, tar.TypeBlock:
		r.refuse(h.Name, "device file")
		return nil
	case tar.TypeFifo:
		r.refuse(h.Name, "named pipe")
		return nil
	default:
		r.refuse(h.Name, fmt.Sprintf("unsupported tar entry type %q", h.Typeflag))
		return nil
	}
	switch {
	case name == "":
		r.refuse(h.Name, "a file without a name")
		return nil
	case perm != 0o644 && perm != 0o755:
		r.refuse(h.Name, fmt.Sprintf("mode %04o; a bundle's files are 0644 or 0755", perm))
		return nil
	case h.Size > maxBundleBytes-r.read:
		r.stopAt(h.Name, fmt.Sprintf("a file of %d bytes; a bundle holds at most %s", h.Size, sizeText(maxBundleBytes)))
		return errStop
	}
	return r.file(h.Name, name, body)
}

// refusedRecords says why an entry's PAX records are refused: extended
// attributes, ACLs and file flags are metadata that archivers restore (and
// a capability is a privilege), and a sparse file is not a plain file. ""
// when there are none of those.
func refusedRecords(h *tar.Header) string {
	for k := range h.PAXRecords {
		for _, prefix := range []string{"SCHILY.xattr.", "LIBARCHIVE.xattr.", "SCHILY.acl.", "SCHILY.fflags", "GNU.sparse."} {
			if strings.HasPrefix(k, prefix) {
				return "carries the PAX record " + k + " (extended attributes, ACLs, file flags and sparse files are refused)"
			}
		}
	}
	return ""
}

// tarTrailer checks what follows the tar end marker: zeros up to the next
// record boundary, then the end of the gzip member, then nothing. Data
// hidden there is no file of the bundle, yet another tool may read it.
func (r *reader) tarTrailer(stream *counted, br *bufio.Reader) error {
	stream.name = ""
	pad := (tarRecord - r.read%tarRecord) % tarRecord
	buf := make([]byte, 32<<10)
	for seen := int64(0); ; {
		n, err := stream.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 || seen >= pad {
				r.refuse("", "data after the end of the tar archive")
				return nil
			}
			seen++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errStop) {
				return errStop
			}
			return fmt.Errorf("reading the tarball: %w", err)
		}
	}
	if _, err := br.Peek(1); err != io.EOF {
		if err != nil {
			return fmt.Errorf("reading the tarball: %w", err)
		}
		r.refuse("", "data after the gzip stream (another gzip member, or other bytes)")
	}
	return nil
}
