//go:build linux

package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// peakLimit is the most memory `macabox verify` may take, whatever the
// bundle: the limits make it independent of the bundle's size.
const peakLimit = 256 << 20

var macaboxBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildMacabox builds the macabox command once for the test binary.
func buildMacabox(t *testing.T) string {
	t.Helper()
	macaboxBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "macabox-bin-")
		if err != nil {
			macaboxBinary.err = err
			return
		}
		macaboxBinary.path = filepath.Join(dir, "macabox")
		cmd := exec.Command("go", "build", "-o", macaboxBinary.path, "./cmd/macabox")
		cmd.Dir = filepath.Join("..", "..")
		macaboxBinary.out, macaboxBinary.err = cmd.CombinedOutput()
	})
	if macaboxBinary.err != nil {
		t.Fatalf("go build ./cmd/macabox: %v\n%s", macaboxBinary.err, macaboxBinary.out)
	}
	return macaboxBinary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if macaboxBinary.path != "" {
		os.RemoveAll(filepath.Dir(macaboxBinary.path))
	}
	os.Exit(code)
}

// watched is how a child process ended.
type watched struct {
	out      string
	code     int
	peak     int64 // bytes, the larger of the polled VmHWM and rusage
	killed   bool  // for going over peakLimit
	duration time.Duration
	// afterSignal is the time from the signal to the end, when one was sent.
	afterSignal time.Duration
}

// runWatched runs the command, polling its peak resident memory (VmHWM)
// and killing it above peakLimit, so a regression fails fast instead of
// exhausting the machine. With interrupt > 0 it sends SIGINT that long
// after the process has opened its last argument (so the signal comes
// while it works, not while it starts).
func runWatched(t *testing.T, interrupt time.Duration, name string, args ...string) watched {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var w watched
	var signalled time.Time
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var interruptAt <-chan time.Time
	waitOpen := interrupt > 0
	for {
		select {
		case <-done:
			w.duration = time.Since(start)
			if !signalled.IsZero() {
				w.afterSignal = time.Since(signalled)
			}
			w.out, w.code = out.String(), cmd.ProcessState.ExitCode()
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				w.peak = max(w.peak, ru.Maxrss*1024)
			}
			return w
		case <-interruptAt:
			signalled = time.Now()
			_ = cmd.Process.Signal(os.Interrupt)
		case <-tick.C:
			if waitOpen && hasOpen(cmd.Process.Pid, args[len(args)-1]) {
				waitOpen, interruptAt = false, time.After(interrupt)
			}
			if hwm := vmHWM(cmd.Process.Pid); hwm > w.peak {
				w.peak = hwm
			}
			if w.peak > peakLimit && !w.killed {
				w.killed = true
				_ = cmd.Process.Kill()
			}
		}
	}
}

// hasOpen reports whether a process holds the file p open.
func hasOpen(pid int, p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && target == abs {
			return true
		}
	}
	return false
}

// vmHWM reads a process's peak resident set size, in bytes.
func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// writeSymlinkBomb writes n symbolic links, each with a target of nearly
// 1 MiB (about the most a PAX record holds), into a few megabytes of gzip:
// entries a bundle refuses, whose targets must not pile up in memory.
// archive/tar takes some 20ms to write such a header, so it writes one and
// the others are copies with another name.
func writeSymlinkBomb(t *testing.T, p string, n int) {
	t.Helper()
	var one bytes.Buffer
	tw := tar.NewWriter(&one)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "link-000000", Mode: 0o777,
		Linkname: strings.Repeat("a", 1<<20-1024), Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	entry := one.Bytes()
	first, last := entry[:512], entry[len(entry)-512:]
	writeGzip(t, p, func(w io.Writer) error {
		for i := range n {
			name := fmt.Sprintf("link-%06d", i)
			for _, block := range [][]byte{first, last} {
				at := bytes.Index(block, []byte("link-"))
				copy(block[at:], name)
				setTarChecksum(block)
			}
			if _, err := w.Write(entry); err != nil {
				return err
			}
		}
		_, err := w.Write(make([]byte, 1024))
		return err
	})
}

// setTarChecksum recomputes a tar header block's checksum.
func setTarChecksum(block []byte) {
	copy(block[148:156], "        ")
	var sum int
	for _, b := range block {
		sum += int(b)
	}
	copy(block[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

// writeZerosBomb writes files of zeros, parts × size bytes in all, into a
// gzip a thousandth of that.
func writeZerosBomb(t *testing.T, p string, parts int, size int64) {
	t.Helper()
	zeros := make([]byte, 1<<20)
	writeGzip(t, p, func(w io.Writer) error {
		tw := tar.NewWriter(w)
		for i := range parts {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("zeros-%d", i), Mode: 0o644, Size: size}); err != nil {
				return err
			}
			for left := size; left > 0; left -= int64(len(zeros)) {
				if _, err := tw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
					return err
				}
			}
		}
		return tw.Close()
	})
}

func writeGzip(t *testing.T, p string, body func(io.Writer) error) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err == nil {
		err = body(zw)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestVerifyMemoryIsBounded runs `macabox verify`, as a reviewer would, on
// a symlink bomb (3,000 links with 1 MiB targets in a few MB) and a gzip
// bomb (2 GiB of zeros in about 2 MB), and wants each refused with a peak
// resident memory under peakLimit.
func TestVerifyMemoryIsBounded(t *testing.T) {
	bin := buildMacabox(t)
	dir := t.TempDir()
	for _, bomb := range []struct {
		name  string
		write func(p string)
		want  string
	}{
		{"symlink bomb", func(p string) { writeSymlinkBomb(t, p, 3000) }, "symbolic link to aaaa"},
		{"gzip bomb", func(p string) { writeZerosBomb(t, p, 4, 512<<20) }, "at most 1 GiB"},
	} {
		t.Run(bomb.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(bomb.name, " ", "-")+".tar.gz")
			bomb.write(p)
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			w := runWatched(t, 0, bin, "verify", p)
			t.Logf("%s (%d bytes): exit %d, peak %d MiB, %s", bomb.name, fi.Size(), w.code, w.peak>>20, w.duration.Round(10*time.Millisecond))
			if w.killed || w.peak > peakLimit {
				t.Fatalf("verify took %d MiB or more, the limit is %d MiB", w.peak>>20, peakLimit>>20)
			}
			if w.code != 1 || !strings.Contains(w.out, bomb.want) || len(w.out) > 64<<10 {
				t.Errorf("exit %d, %d bytes of output, want 1 and %q:\n%.2000s", w.code, len(w.out), bomb.want, w.out)
			}
		})
	}
}

// TestVerifyStopsOnInterrupt: Ctrl-C ends a verification in progress
// within a second.
func TestVerifyStopsOnInterrupt(t *testing.T) {
	bin := buildMacabox(t)
	p := filepath.Join(t.TempDir(), "zeros.tar.gz")
	// A gigabyte to read: a second or more of work, the signal comes early.
	writeZerosBomb(t, p, 16, 64<<20)
	w := runWatched(t, 100*time.Millisecond, bin, "verify", p)
	t.Logf("exit %d after %s, %s after the signal: %s", w.code, w.duration.Round(time.Millisecond), w.afterSignal.Round(time.Millisecond), strings.TrimSpace(w.out))
	if w.killed || w.afterSignal > time.Second || w.code != 2 || !strings.Contains(w.out, "context canceled") {
		t.Errorf("verify ended %s after the signal with exit %d (killed for memory: %v), want within 1s with exit 2", w.afterSignal, w.code, w.killed)
	}
}
