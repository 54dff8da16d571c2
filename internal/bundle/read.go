package bundle

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
)

// fileSum is what reading keeps of a regular file: its digest and size.
// Contents are hashed as they stream by and never held whole.
type fileSum struct {
	sum  [sha256.Size]byte
	size int64
}

// reader reads a bundle, tarball or directory, in one pass with bounded
// memory: it keeps the names it met, the digests of the regular files, the
// few small files it must parse (see keptLimit), and at most maxProblems
// refusals. Every byte and every entry counts against the limits, and the
// first limit reached stops the reading. Nothing is written anywhere unless
// out is set.
type reader struct {
	ctx context.Context
	// out, when set, receives a copy of every regular file, under its name.
	out *os.Root

	files   map[string]fileSum
	dirs    map[string]bool
	kept    map[string][]byte
	refused []Problem
	// stop says why reading ended before the bundle did; nil when it read
	// everything.
	stop *Problem
	// read counts the bytes read, entries the entries met; done is set
	// once the whole bundle was read.
	read    int64
	entries int
	done    bool
	// unwritten are files that could not be copied into out because an
	// earlier entry took their place there.
	unwritten []string
}

// errStop ends reading once a limit is reached; the reason is in reader.stop.
var errStop = errors.New("reading stopped")

func newReader(ctx context.Context, out *os.Root) *reader {
	return &reader{ctx: ctx, out: out, files: map[string]fileSum{}, dirs: map[string]bool{}, kept: map[string][]byte{}}
}

// readBundle reads a bundle directory or tarball at p.
func (r *reader) readBundle(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		err = r.readDir(p)
	} else {
		err = r.readTarballFile(p)
	}
	if r.stop != nil {
		return nil
	}
	if err != nil {
		if cerr := r.ctx.Err(); cerr != nil {
			return cerr
		}
		return err
	}
	r.done = true
	r.refuseFileDirClashes()
	if len(r.refused) > 0 {
		return nil // it does not verify: nothing is read from the copy
	}
	for _, name := range r.unwritten {
		if _, ok := r.files[name]; ok {
			return fmt.Errorf("%s could not be extracted: another name of the bundle takes its place on this system", clip(name))
		}
	}
	return nil
}

// refuse records an entry the bundle may not hold; past maxProblems,
// reading stops.
func (r *reader) refuse(name, why string) {
	r.refused = append(r.refused, Problem{Kind: ProblemRefused, Path: clip(name), Detail: clip(why)})
	if len(r.refused) >= maxProblems && !r.done {
		r.stopAt(name, fmt.Sprintf("%d entries refused; nothing after them was read", len(r.refused)))
	}
}

// stopAt ends reading at the entry name ("" for the bundle as a whole).
func (r *reader) stopAt(name, why string) {
	if r.stop == nil {
		r.stop = &Problem{Kind: ProblemStopped, Path: clip(name), Detail: why}
	}
}

// count adds n bytes read; past maxBundleBytes reading stops.
func (r *reader) count(name string, n int64) error {
	r.read += n
	if r.read > maxBundleBytes {
		r.stopAt(name, fmt.Sprintf("the bundle holds more than %s, the most a bundle may", sizeText(maxBundleBytes)))
		return errStop
	}
	return nil
}

// entry checks one entry's name and counts it. It returns the clean name,
// or ok false when the entry is refused or reading must stop.
func (r *reader) entry(raw string) (name string, ok bool) {
	r.entries++
	if r.entries > maxBundleEntries {
		r.stopAt(raw, fmt.Sprintf("the bundle has more than %d entries, the most a bundle may", maxBundleEntries))
		return "", false
	}
	if len(raw) > maxNameBytes {
		r.refuse(raw, fmt.Sprintf("a name of %d bytes; a bundle's names are at most %d", len(raw), maxNameBytes))
		return "", false
	}
	name, why := entryName(raw)
	if why != "" {
		r.refuse(raw, why)
		return "", false
	}
	return name, true
}

// dir records a directory entry.
func (r *reader) dir(raw, name string) {
	if name == "" {
		return
	}
	if _, isFile := r.files[name]; isFile || r.dirs[name] {
		r.refuse(raw, "named twice")
		return
	}
	r.dirs[name] = true
}

// file reads one regular file from body, hashing it (and copying it into
// out, and keeping it when it is one of the files kept). raw is its name as
// the bundle spells it, name the clean one. body counts what it reads
// against the limits (see counted).
func (r *reader) file(raw, name string, body io.Reader) error {
	if _, dup := r.files[name]; dup || r.dirs[name] {
		r.refuse(raw, "named twice")
		return nil
	}
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if _, isFile := r.files[d]; isFile {
			r.refuse(raw, "its directory "+d+" is a file of the bundle")
			return nil
		}
	}
	sum := sha256.New()
	sinks := []io.Writer{sum}
	var keep *keeper
	if limit, ok := keptLimit[name]; ok {
		keep = &keeper{limit: limit}
		sinks = append(sinks, keep)
	}
	out, err := r.create(name)
	if err != nil {
		return err
	}
	if out != nil {
		sinks = append(sinks, out)
	}
	n, err := io.Copy(io.MultiWriter(sinks...), body)
	if out != nil {
		err = errors.Join(err, out.Close())
	}
	if err != nil {
		if r.stop != nil {
			return errStop
		}
		return fmt.Errorf("reading %s: %w", clip(raw), err)
	}
	var fs fileSum
	sum.Sum(fs.sum[:0])
	fs.size = n
	r.files[name] = fs
	if keep != nil {
		if keep.over {
			r.refuse(raw, fmt.Sprintf("larger than %s, the most macabox reads of %s", sizeText(keep.limit), name))
			return nil
		}
		r.kept[name] = keep.data
	}
	return nil
}

// create opens a new file under out for name, or returns nil when there
// is no out. A name another entry already took on disk (a directory made
// for a later name, or the same name in another case on a system that
// ignores case) is noted and not written: the clash is refused once every
// name is known, or the bundle cannot be extracted here.
func (r *reader) create(name string) (*os.File, error) {
	if r.out == nil {
		return nil, nil
	}
	if d := path.Dir(name); d != "." {
		if err := r.out.MkdirAll(d, 0o700); err != nil {
			if isTaken(err) {
				r.unwritten = append(r.unwritten, name)
				return nil, nil
			}
			return nil, fmt.Errorf("extracting %s: %w", clip(name), err)
		}
	}
	f, err := r.out.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if isTaken(err) {
			r.unwritten = append(r.unwritten, name)
			return nil, nil
		}
		return nil, fmt.Errorf("extracting %s: %w", clip(name), err)
	}
	return f, nil
}

func isTaken(err error) bool {
	return errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR)
}

// refuseFileDirClashes refuses files that another entry uses as a
// directory. It looks at each name's parents without storing them, so a
// deep tree costs time, not memory.
func (r *reader) refuseFileDirClashes() {
	clash := func(name string) {
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, isFile := r.files[d]; isFile {
				r.refuse(d, "is a file and a directory")
				delete(r.files, d)
			}
		}
	}
	for name := range r.files {
		clash(name)
	}
	for d := range r.dirs {
		if _, isFile := r.files[d]; isFile {
			r.refuse(d, "is a file and a directory")
			delete(r.files, d)
		}
		clash(d)
	}
}

// counted is a file's content as it is read: every byte counts against the
// bundle's limit, and reading stops when the context is done.
type counted struct {
	r    io.Reader
	rd   *reader
	name string
}

func (c *counted) Read(p []byte) (int, error) {
	if err := c.rd.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if cerr := c.rd.count(c.name, int64(n)); cerr != nil {
		return n, cerr
	}
	return n, err
}

// keeper keeps what is written to it up to limit bytes, and notes whether
// there was more.
type keeper struct {
	limit int64
	data  []byte
	over  bool
}

func (k *keeper) Write(p []byte) (int, error) {
	if int64(len(k.data)+len(p)) > k.limit {
		k.over, k.data = true, nil
	}
	if !k.over {
		k.data = append(k.data, p...)
	}
	return len(p), nil
}

// entryName cleans a tar entry's name: "./x" and "x/" are accepted as x,
// "./" as the top. Anything that could leave the bundle, or that reads
// differently on another system, is refused with the reason.
func entryName(raw string) (string, string) {
	n := strings.TrimPrefix(raw, "./")
	n = strings.TrimSuffix(n, "/")
	switch {
	case raw == "./" || raw == ".":
		return "", ""
	case strings.HasPrefix(raw, "/"):
		return "", "absolute path"
	case strings.ContainsAny(raw, "\\\x00\n\r"):
		return "", "backslash, line break or NUL in the name"
	case slices.Contains(strings.Split(n, "/"), ".."):
		return "", "path with a .. component leaves the bundle"
	case n == "" || path.Clean(n) != n:
		return "", "name is not a clean relative path"
	}
	return n, ""
}
