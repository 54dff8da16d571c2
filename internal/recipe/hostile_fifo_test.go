//go:build unix

package recipe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadRefusesSpecialFiles: a named pipe would block the reader forever
// (and with it every command); it and every other kind of file that is not a
// regular file is refused without being opened for a blocking read.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "images", "base.yaml"), minimalImage)
	fifo := filepath.Join(root, "images", "pipe.yaml")
	mkfifo(t, fifo)
	symlink(t, "pipe.yaml", filepath.Join(root, "images", "to-pipe.yaml"))
	if err := os.Mkdir(filepath.Join(root, "images", "folder.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}

	errs := withDeadline(t, fifo, func() error {
		_, err := LoadTree(root)
		return err
	})
	got := errs.Error()
	for _, want := range []string{
		filepath.Join(root, "images", "pipe.yaml") + ":1:1: ",
		filepath.Join(root, "images", "to-pipe.yaml") + ":1:1: ",
	} {
		if !strings.Contains(got, want) || !strings.Contains(got, "named pipe") {
			t.Errorf("no problem at %s for the pipe:\n%s", want, got)
		}
	}

	// Named on the command line, a pipe is refused the same way.
	errs = withDeadline(t, fifo, func() error {
		_, err := LoadPaths(fifo)
		return err
	})
	if !strings.Contains(errs.Error(), "named pipe") {
		t.Errorf("a named pipe given as a path: %v", errs)
	}
}

// TestOpenRegularRefusesWhatLstatMissed covers the window between the look
// at a file and its opening: if a pipe takes the place of a regular file in
// between, opening still does not block, and the opened file is refused.
func TestOpenRegularRefusesWhatLstatMissed(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "swapped.yaml")
	mkfifo(t, fifo)
	withDeadline(t, fifo, func() error {
		f, _, err := openNonBlocking(fifo)
		if err == nil {
			f.Close()
			t.Error("a named pipe was opened as a recipe")
		} else if !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("error %q does not say what the file is", err)
		}
		return nil
	})
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
}

// withDeadline runs load and fails the test if it does not return within a
// few seconds. A load stuck opening the pipe is released by opening the pipe
// for writing (as often as it opens it again), so that no goroutine outlives
// the test.
func withDeadline(t *testing.T, fifo string, load func() error) Errors {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- load() }()
	select {
	case err := <-done:
		var errs Errors
		if err != nil && !errors.As(err, &errs) {
			t.Fatalf("got %v, want recipe problems", err)
		}
		return errs
	case <-time.After(5 * time.Second):
		for {
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			select {
			case <-done:
				t.Fatal("loading blocked on a named pipe")
				return nil
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// TestLoadLockRefusesPipesAndLinksOut: a lock is read by every build of its
// target, so a pipe or a link to a file elsewhere in its place is refused
// at once, never read.
func TestLoadLockRefusesPipesAndLinksOut(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "base.lock.yaml")
	mkfifo(t, fifo)
	done := make(chan error, 1)
	go func() { _, err := LoadLock(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("a named pipe as a lock: %v", err)
		}
	case <-time.After(5 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("reading a lock blocked on a named pipe")
	}

	secret := filepath.Join(t.TempDir(), "secret")
	writeFile(t, secret, "token: hunter2\n")
	link := filepath.Join(dir, "other.lock.yaml")
	symlink(t, secret, link)
	if _, err := LoadLock(link); err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "outside") {
		t.Errorf("a lock linking out of its folder: %v", err)
	}
}
