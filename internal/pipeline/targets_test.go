package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindRootStaysOnTheUsersGround: a recipes/ that someone else put in a
// shared directory such as /tmp is never picked up by searching upwards.
func TestFindRootStaysOnTheUsersGround(t *testing.T) {
	t.Setenv(RootEnv, "")
	shared := filepath.Join(t.TempDir(), "shared")
	project := filepath.Join(shared, "project", "sub")
	for _, d := range []string{filepath.Join(shared, "recipes"), project} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(shared, 0o1777); err != nil {
		t.Fatal(err)
	}
	t.Chdir(project)
	root, err := FindRoot("")
	if err != nil || root != "" {
		t.Fatalf("FindRoot = %q, %v; want no tree (the recipes/ is in a world-writable directory)", root, err)
	}

	// A tree of the project itself is found.
	mine := filepath.Join(shared, "project", "recipes")
	if err := os.Mkdir(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	if root, err = FindRoot(""); err != nil || root != filepath.Dir(mine) {
		t.Fatalf("FindRoot = %q, %v; want %s", root, err, filepath.Dir(mine))
	}
}

// TestFindRootRefusesAnotherUsersTree: found by searching, a tree owned by
// someone else is refused with the way to trust it.
func TestFindRootRefusesAnotherUsersTree(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	t.Setenv(RootEnv, "")
	dir := filepath.Join(t.TempDir(), "theirs")
	if err := os.MkdirAll(filepath.Join(dir, "recipes", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(dir, "recipes", "x"))
	_, err := FindRoot("")
	if !errors.Is(err, ErrCannot) || !strings.Contains(err.Error(), "--root "+dir) {
		t.Fatalf("FindRoot = %v, want a refusal naming --root %s", err, dir)
	}
	if root, err := FindRoot(dir); err != nil || root != dir {
		t.Errorf("FindRoot(--root %s) = %q, %v", dir, root, err)
	}
}
