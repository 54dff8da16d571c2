package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	gofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// contextFS is a build context made of exactly the files a plan names, each
// presented with fixed metadata: owner 0:0, mode 0644 or 0755 (from the
// source's executable bit), and one fixed mtime. So a checkout's owner,
// umask or timestamps cannot reach a layer.
//
// BuildKit's file sync skips a file whose size and mtime match its cached
// copy. With a fixed mtime that would miss an edit that keeps the size, so
// the sources' real identity (size, mtime, inode, ctime) goes into the
// session's shared key instead (see stamp): any change to a source gives a
// fresh receiving directory and a full resend, and an unchanged context is
// neither re-read nor re-hashed by the client on a no-op rebuild.
type contextFS struct {
	entries []contextEntry // in the order filepath.WalkDir would visit them
	open    func(name string) (io.ReadCloser, error)
	stamp   string
}

type contextEntry struct {
	stat *fstypes.Stat
	src  string
	// data is the content of a file given by its bytes (src is then "").
	data []byte
}

// newFileContext checks every file before the build starts; names are
// slash-separated paths inside the context. files name files on disk,
// contents give files by their bytes.
func newFileContext(files map[string]string, contents map[string][]byte, mtime int64) (*contextFS, error) {
	byName := map[string]contextEntry{}
	dirs := map[string]bool{}
	h := sha256.New()
	names := make([]string, 0, len(files)+len(contents))
	for name := range files {
		names = append(names, name)
	}
	for name := range contents {
		if _, twice := files[name]; twice {
			return nil, fmt.Errorf("context file %q: named twice", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		clean, err := contextName(name)
		if err != nil {
			return nil, err
		}
		if _, dup := byName[clean]; dup || dirs[clean] {
			return nil, fmt.Errorf("context file %q: named twice", name)
		}
		e, identity, err := newContextEntry(name, clean, files, contents, mtime)
		if err != nil {
			return nil, err
		}
		byName[clean] = e
		for d := path.Dir(clean); d != "."; d = path.Dir(d) {
			if _, isFile := byName[d]; isFile {
				return nil, fmt.Errorf("context file %q: %q is also a file", name, d)
			}
			dirs[d] = true
		}
		fmt.Fprintf(h, "%s\x00%s\x00%s\n", clean, e.src, identity)
	}
	for d := range dirs {
		if _, isFile := byName[d]; isFile {
			return nil, fmt.Errorf("context file %q is also a directory", d)
		}
		byName[d] = contextEntry{stat: &fstypes.Stat{Path: d, Mode: uint32(os.ModeDir | 0o755), ModTime: mtime}}
	}
	c := &contextFS{entries: walkOrder(byName), stamp: hex.EncodeToString(h.Sum(nil))}
	c.open = func(name string) (io.ReadCloser, error) {
		e, ok := byName[filepath.ToSlash(name)]
		switch {
		case ok && e.data != nil:
			return io.NopCloser(bytes.NewReader(e.data)), nil
		case !ok || e.src == "":
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
		}
		return os.Open(e.src)
	}
	return c, nil
}

// newContextEntry describes one file of the context, and returns what
// identifies its content for the session key (see contextFS).
func newContextEntry(name, clean string, files map[string]string, contents map[string][]byte, mtime int64) (contextEntry, string, error) {
	if data, ok := contents[name]; ok {
		sum := sha256.Sum256(data)
		stat := &fstypes.Stat{Path: clean, Mode: 0o644, Size: int64(len(data)), ModTime: mtime}
		return contextEntry{stat: stat, data: data}, "sha256:" + hex.EncodeToString(sum[:]), nil
	}
	src := files[name]
	fi, err := os.Stat(src)
	if err != nil {
		return contextEntry{}, "", fmt.Errorf("context file %q: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return contextEntry{}, "", fmt.Errorf("context file %q: %s is not a regular file", name, src)
	}
	mode := uint32(0o644)
	if fi.Mode().Perm()&0o111 != 0 {
		mode = 0o755
	}
	stat := &fstypes.Stat{Path: clean, Mode: mode, Size: fi.Size(), ModTime: mtime}
	return contextEntry{stat: stat, src: src}, sourceIdentity(fi), nil
}

// newBytesContext is a one-file context for the Dockerfile itself.
func newBytesContext(name string, data []byte, mtime int64) *contextFS {
	sum := sha256.Sum256(data)
	return &contextFS{
		entries: []contextEntry{{stat: &fstypes.Stat{Path: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime}}},
		open: func(n string) (io.ReadCloser, error) {
			if filepath.ToSlash(n) != name {
				return nil, &os.PathError{Op: "open", Path: n, Err: syscall.ENOENT}
			}
			return io.NopCloser(bytes.NewReader(data)), nil
		},
		stamp: hex.EncodeToString(sum[:]),
	}
}

func contextName(name string) (string, error) {
	n := filepath.ToSlash(name)
	clean := path.Clean(n)
	if n == "" || path.IsAbs(n) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("context file %q: must be a relative path inside the context", name)
	}
	return clean, nil
}

// sourceIdentity changes whenever the file's content may have changed,
// without reading it: its size and mtime, and where the system tells them,
// the file's identity and its change time, which a write cannot set back.
func sourceIdentity(fi os.FileInfo) string {
	return fmt.Sprintf("%d:%d", fi.Size(), fi.ModTime().UnixNano()) + changeIdentity(fi)
}

// walkOrder sorts entries as a depth-first walk with names sorted inside each
// directory, the order fsutil's receiver validates.
func walkOrder(byName map[string]contextEntry) []contextEntry {
	out := make([]contextEntry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		return walkLess(out[i].stat.Path, out[j].stat.Path)
	})
	return out
}

func walkLess(a, b string) bool {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return len(pa) < len(pb)
}

// Walk implements fsutil.FS.
func (c *contextFS) Walk(ctx context.Context, target string, fn gofs.WalkDirFunc) error {
	target = strings.Trim(filepath.ToSlash(target), "/")
	if target == "." {
		target = ""
	}
	skip := ""
	for _, e := range c.entries {
		p := e.stat.Path
		if target != "" && p != target && !strings.HasPrefix(p, target+"/") {
			continue
		}
		if skip != "" && strings.HasPrefix(p, skip) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := fn(filepath.FromSlash(p), &fsutil.DirEntryInfo{Stat: e.stat.Clone()}, nil)
		switch {
		case err == filepath.SkipDir && gofs.FileMode(e.stat.Mode).IsDir():
			skip = p + "/"
		case err == filepath.SkipDir:
			// Skipping from a file skips the rest of its directory.
			if d := path.Dir(p); d != "." {
				skip = d + "/"
			} else {
				return nil
			}
		case err == filepath.SkipAll:
			return nil
		case err != nil:
			return err
		}
	}
	return nil
}

// Open implements fsutil.FS.
func (c *contextFS) Open(name string) (io.ReadCloser, error) { return c.open(name) }
