package builder

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
)

// ProgressModes are the values --progress accepts.
var ProgressModes = []string{"auto", "tty", "plain", "rawjson", "quiet"}

// Progress is the one display of an invocation. BuildKit's status of every
// solve and the caller's local steps (plan, context, load into docker, ...)
// are vertexes in the same stream, as buildx shows its own work. A nil
// *Progress is valid and shows nothing.
type Progress struct {
	ch   chan *bkclient.SolveStatus
	done chan struct{}

	mu     sync.Mutex
	closed bool
	seq    int

	err      error
	warnings []bkclient.VertexWarning
}

// NewProgress starts a display on w (the caller's stderr) in one of
// ProgressModes. Close must be called to flush it.
//
// NO_COLOR (no-color.org) needs nothing here: BuildKit's display reads it
// when the program starts and then leaves its colours out, while the mode
// (auto picks the terminal display on a terminal) stays as asked.
func NewProgress(ctx context.Context, w io.Writer, mode string) (*Progress, error) {
	if mode == "" {
		mode = "auto"
	}
	d, err := progressui.NewDisplay(w, progressui.DisplayMode(mode))
	if err != nil {
		return nil, fmt.Errorf("progress %q: %w (use one of %s)", mode, err, strings.Join(ProgressModes, ", "))
	}
	p := &Progress{ch: make(chan *bkclient.SolveStatus, 128), done: make(chan struct{})}
	// The display must drain until Close even when ctx is cancelled, or
	// the statuses of a cancelled solve would block their senders.
	dctx := context.WithoutCancel(ctx)
	go func() {
		defer close(p.done)
		p.warnings, p.err = d.UpdateFrom(dctx, p.ch)
	}()
	return p, nil
}

func (p *Progress) send(ss *bkclient.SolveStatus) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	select {
	case p.ch <- ss:
	case <-p.done:
	}
}

// Close ends the display and waits until it has written everything.
func (p *Progress) Close() error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.ch)
	}
	p.mu.Unlock()
	<-p.done
	return p.err
}

// Warnings are the build warnings BuildKit reported (after Close).
func (p *Progress) Warnings() []bkclient.VertexWarning {
	if p == nil {
		return nil
	}
	return p.warnings
}

// Step is local work shown as a vertex of the display.
type Step struct {
	p *Progress
	v *bkclient.Vertex
}

// Start shows a local step as running.
func (p *Progress) Start(name string) *Step {
	if p == nil {
		return &Step{}
	}
	p.mu.Lock()
	p.seq++
	seq := p.seq
	p.mu.Unlock()
	now := time.Now()
	v := &bkclient.Vertex{
		Digest:  digest.FromString(fmt.Sprintf("macabox-local:%d:%d:%s", now.UnixNano(), seq, name)),
		Name:    name,
		Started: &now,
	}
	s := &Step{p: p, v: v}
	p.send(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{s.snapshot()}})
	return s
}

func (s *Step) snapshot() *bkclient.Vertex {
	c := *s.v
	return &c
}

// Log adds output to the step.
func (s *Step) Log(data []byte) {
	if s == nil || s.p == nil || len(data) == 0 {
		return
	}
	s.p.send(&bkclient.SolveStatus{Logs: []*bkclient.VertexLog{{
		Vertex: s.v.Digest, Stream: 1, Data: append([]byte(nil), data...), Timestamp: time.Now(),
	}}})
}

// Done marks the step finished, failed when err is not nil. It returns err so
// callers can write `return step.Done(err)`.
func (s *Step) Done(err error) error {
	if s == nil || s.p == nil || s.v.Completed != nil {
		return err
	}
	now := time.Now()
	s.v.Completed = &now
	if err != nil {
		s.v.Error = err.Error()
	}
	s.p.send(&bkclient.SolveStatus{Vertexes: []*bkclient.Vertex{s.snapshot()}})
	return err
}

// stepCloser finishes a step when BuildKit closes an output writer.
type stepCloser struct {
	io.WriteCloser
	step *Step
}

func (c *stepCloser) Close() error { return c.step.Done(c.WriteCloser.Close()) }

// logTailBytes bounds what is kept of each vertex's log for error messages.
const logTailBytes = 64 << 10

// solveTap sits between one solve and the display: it forwards every status
// and keeps what the result and error messages need (log tails, cache hits,
// resolved base images).
type solveTap struct {
	ch   chan *bkclient.SolveStatus
	done chan struct{}

	names     map[digest.Digest]string
	logs      map[digest.Digest][]byte
	completed map[digest.Digest]bool
	cached    map[digest.Digest]bool
	bases     map[string]string

	// mode says what the display gets: everything, a probe's statuses
	// with its export named as the raw one, or only news (see tapMode).
	mode  tapMode
	shown map[digest.Digest]bool
}

// tapMode is what a tap forwards to the display.
type tapMode int

const (
	// tapAll forwards every status.
	tapAll tapMode = iota
	// tapProbe forwards every status of a probe (see memo.go), naming its
	// export as the raw one: its manifest digest is not the image's.
	tapProbe
	// tapRepeat is for a solve that repeats one just shown (an export
	// after its probe): steps the cache answered are not shown again, nor
	// is BuildKit's bookkeeping; the export is, and any step that had to
	// run.
	tapRepeat
)

func (p *Progress) tap() *solveTap { return p.newTap(tapAll) }

func (p *Progress) newTap(mode tapMode) *solveTap {
	t := &solveTap{
		mode:      mode,
		shown:     map[digest.Digest]bool{},
		ch:        make(chan *bkclient.SolveStatus),
		done:      make(chan struct{}),
		names:     map[digest.Digest]string{},
		logs:      map[digest.Digest][]byte{},
		completed: map[digest.Digest]bool{},
		cached:    map[digest.Digest]bool{},
		bases:     map[string]string{},
	}
	go func() {
		defer close(t.done)
		for ss := range t.ch {
			t.record(ss)
			switch t.mode {
			case tapProbe:
				ss = rawExport(ss)
			case tapRepeat:
				if ss = t.news(ss); len(ss.Vertexes)+len(ss.Statuses)+len(ss.Logs)+len(ss.Warnings) == 0 {
					continue
				}
			}
			p.send(ss)
		}
	}()
	return t
}

// rawExport names a probe's export vertex as the raw export it is.
func rawExport(ss *bkclient.SolveStatus) *bkclient.SolveStatus {
	out := *ss
	out.Vertexes = make([]*bkclient.Vertex, len(ss.Vertexes))
	for i, v := range ss.Vertexes {
		if strings.HasPrefix(v.Name, "exporting to ") {
			c := *v
			c.Name += " (raw, for the export memo)"
			v = &c
		}
		out.Vertexes[i] = v
	}
	return &out
}

// fromPinned matches the frontend's name for a resolved FROM, e.g.
// "[stage-0 1/3] FROM docker.io/library/debian:bookworm@sha256:…".
var fromPinned = regexp.MustCompile(`FROM (\S+?)@(sha256:[0-9a-f]{64})`)

func (t *solveTap) record(ss *bkclient.SolveStatus) {
	for _, v := range ss.Vertexes {
		t.names[v.Digest] = v.Name
		if v.Completed != nil && v.Error == "" {
			t.completed[v.Digest] = true
			if v.Cached {
				t.cached[v.Digest] = true
			}
		}
		if m := fromPinned.FindStringSubmatch(v.Name); m != nil {
			t.bases[m[1]] = m[2]
		}
	}
	for _, l := range ss.Logs {
		b := append(t.logs[l.Vertex], l.Data...)
		if len(b) > logTailBytes {
			b = b[len(b)-logTailBytes:]
		}
		t.logs[l.Vertex] = b
	}
}

// news is what a repeated solve's status adds to the display: vertexes
// that started without the cache (the export, a step run again) other
// than BuildKit's bookkeeping, and their logs and statuses.
func (t *solveTap) news(ss *bkclient.SolveStatus) *bkclient.SolveStatus {
	out := &bkclient.SolveStatus{}
	for _, v := range ss.Vertexes {
		if !t.shown[v.Digest] && v.Started != nil && !v.Cached &&
			(dockerfileStep.MatchString(v.Name) || !strings.HasPrefix(v.Name, "[")) {
			t.shown[v.Digest] = true
		}
		if t.shown[v.Digest] {
			out.Vertexes = append(out.Vertexes, v)
		}
	}
	for _, s := range ss.Statuses {
		if t.shown[s.Vertex] {
			out.Statuses = append(out.Statuses, s)
		}
	}
	for _, l := range ss.Logs {
		if t.shown[l.Vertex] {
			out.Logs = append(out.Logs, l)
		}
	}
	for _, w := range ss.Warnings {
		if t.shown[w.Vertex] {
			out.Warnings = append(out.Warnings, w)
		}
	}
	return out
}

// wait returns once the solve has closed the channel and all is recorded.
func (t *solveTap) wait() { <-t.done }

// logTail is the last n lines the vertex printed.
func (t *solveTap) logTail(d digest.Digest, n int) []string {
	text := strings.TrimRight(string(t.logs[d]), "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// stats counts the completed steps and how many came from cache. BuildKit's
// own bookkeeping vertexes ("[internal] ...") are left out: they are never
// cached and would make the counts depend on the frontend's internals.
func (t *solveTap) stats() (steps, cached int, cachedNames []string) {
	for d := range t.completed {
		if strings.HasPrefix(t.names[d], "[internal]") {
			continue
		}
		steps++
		if t.cached[d] {
			cached++
			cachedNames = append(cachedNames, t.names[d])
		}
	}
	return steps, cached, cachedNames
}
