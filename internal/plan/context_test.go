package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// sparseFile makes a file of size bytes that reads as zeros and takes no
// space on disk.
func sparseFile(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

// copySet is a stack whose layer copies each of srcs from its folder.
func copySet(root string, srcs ...string) (*recipe.Set, *mem) {
	m := &mem{file: filepath.Join(root, "recipes", "data", "data.yaml")}
	layer := &recipe.Layer{Header: m.header(recipe.KindLayer, "data")}
	for _, s := range srcs {
		layer.Steps = append(layer.Steps, recipe.Step{Pos: m.pos(), Copy: &recipe.CopyStep{Src: m.list(s), Dest: m.s("/opt/data/")}})
	}
	return memSet(root, layer, nil), m
}

// TestContextFilesAreHashedAsTheyStream: planning a copy of a 64 MiB file
// must not hold the file in memory.
func TestContextFilesAreHashedAsTheyStream(t *testing.T) {
	root := t.TempDir()
	const size = 64 << 20
	sparseFile(t, filepath.Join(root, "recipes", "data", "big.bin"), size)
	set, _ := copySet(root, "big.bin")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := New(set, "test", Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("planning a copy of a %d MiB file allocated %d MiB", size>>20, alloc>>20)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, zeros{}, size); err != nil {
		t.Fatal(err)
	}
	if len(p.Context) != 1 || p.Context[0].SHA256 != hex.EncodeToString(h.Sum(nil)) {
		t.Errorf("context %+v", p.Context)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// TestContextSizeLimits: a file too large, or files too large together,
// are refused at the copy that names them, before any is read.
func TestContextSizeLimits(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "recipes", "data")
	sparseFile(t, filepath.Join(dir, "weights.bin"), maxContextFile+1)
	sparseFile(t, filepath.Join(dir, "parts", "a.bin"), maxContextFile)
	sparseFile(t, filepath.Join(dir, "parts", "b.bin"), maxContextFile)
	sparseFile(t, filepath.Join(dir, "parts", "c.bin"), 1)

	start := time.Now()
	set, m := copySet(root, "weights.bin")
	_, err := New(set, "test", Options{})
	wantErr(t, err, m.file+":5:3: field \"src\": recipes/data/weights.bin is 536870913 bytes; a file the build copies is limited to 536870912 (512 MiB)", "--mount")

	set, m = copySet(root, "parts")
	_, err = New(set, "test", Options{})
	wantErr(t, err, m.file+":5:3: field \"src\": with recipes/data/parts/c.bin the files the build copies come to more than 1073741824 bytes (1 GiB)")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("refusing took %v: the files were read", took)
	}
}
