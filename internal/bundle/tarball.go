package bundle

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// IsTarball reports whether a bundle path names a gzip'd tarball rather than
// a directory.
func IsTarball(p string) bool {
	return strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz")
}

// writeTarball writes files as a gzip'd tar that depends on nothing but the
// files and the epoch: entries in name order, each directory before what it
// holds, every time the epoch, owner 0:0 without names, fixed modes, and a
// gzip header without name or time. The same bundle gives the same bytes.
func writeTarball(w io.Writer, files Files, epoch int64) error {
	sorted, err := files.sorted()
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	t := time.Unix(epoch, 0)
	entries := make([]*tar.Header, 0, len(sorted))
	for _, d := range sorted.parents() {
		entries = append(entries, &tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755})
	}
	data := map[string][]byte{}
	for _, f := range sorted {
		entries = append(entries, &tar.Header{Typeflag: tar.TypeReg, Name: f.Name, Mode: int64(f.Mode()), Size: int64(len(f.Data))})
		data[f.Name] = f.Data
	}
	sortEntries(entries)
	for _, h := range entries {
		h.ModTime, h.Uid, h.Gid = t, 0, 0
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(data[h.Name]); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// sortEntries orders entries by path with "/" sorting before every other
// byte, so a directory's entry and contents are never split by a sibling
// such as "recipes-x".
func sortEntries(hs []*tar.Header) {
	key := func(h *tar.Header) string {
		return strings.ReplaceAll(strings.TrimSuffix(h.Name, "/"), "/", "\x00")
	}
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && key(hs[j]) < key(hs[j-1]); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}

// writeTarballFile writes the tarball beside dest and renames it into place,
// so a failed export leaves no partial file under the requested name.
func writeTarballFile(dest string, files Files, epoch int64) (err error) {
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := writeTarball(f, files, epoch); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), dest)
}
