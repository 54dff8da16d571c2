package world

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Log writes progress for people, "[testenv] ..." on stderr, and times
// phases: how long each step of a cold start takes is the figure that
// matters when it gets slow.
type Log struct {
	w      io.Writer
	prefix string

	mu    sync.Mutex
	times []string
}

// NewLog logs to w with prefix in brackets.
func NewLog(w io.Writer, prefix string) *Log {
	return &Log{w: w, prefix: prefix}
}

// Printf writes one line.
func (l *Log) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "[%s] %s\n", l.prefix, fmt.Sprintf(format, args...))
}

// Phase runs fn and logs how long it took, also when it fails. Phases may
// run at the same time.
func (l *Log) Phase(name string, fn func() error) error {
	l.Printf("phase %s: start", name)
	start := time.Now()
	err := fn()
	took := formatDuration(time.Since(start))
	if err != nil {
		l.record(name, took+"(FAILED)")
		l.Printf("phase %s: FAILED after %s", name, took)
		return err
	}
	l.record(name, took)
	l.Printf("phase %s: done in %s", name, took)
	return nil
}

// Total records the time since start as the last timing.
func (l *Log) Total(start time.Time) {
	l.record("total", formatDuration(time.Since(start)))
}

func (l *Log) record(name, took string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.times = append(l.times, name+": "+took)
}

// Timings logs every phase's time.
func (l *Log) Timings() {
	l.mu.Lock()
	times := append([]string(nil), l.times...)
	l.mu.Unlock()
	if len(times) == 0 {
		return
	}
	l.Printf("timings:")
	for _, t := range times {
		l.Printf("  %s", t)
	}
}

// Tail logs the last n lines of a daemon's or a build's log, which is where
// the reason for its failure is.
func (l *Log) Tail(path string, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		l.Printf("(cannot read %s: %v)", path, err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range lines {
		fmt.Fprintln(l.w, line)
	}
}

// formatDuration gives seconds with milliseconds, e.g. 12.345s, as the
// shell scripts' timings do, so CI logs read alike.
func formatDuration(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%d.%03ds", ms/1000, ms%1000)
}
