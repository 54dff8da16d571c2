package world

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// input is one input of a fixture's cache key: a file (by base name, size
// and content) or a value.
type input struct {
	file  string
	value string
}

func fileInput(path string) input { return input{file: path} }
func valueInput(v string) input   { return input{value: v} }

// cacheKey hashes inputs into a fixture's cache key. The stream hashed is
// the one the shell version of scripts/testenv.sh hashed, byte for byte,
// so that caches made before keep their keys.
func cacheKey(inputs ...input) (string, error) {
	h := sha256.New()
	for _, in := range inputs {
		if in.file == "" {
			fmt.Fprintf(h, "value %s\n", in.value)
			continue
		}
		if err := hashFile(h, in.file); err != nil {
			return "", fmt.Errorf("cache key input: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "file %s %d\n", filepath.Base(path), fi.Size())
	_, err = io.Copy(w, f)
	return err
}

// dirFiles are the inputs of every regular file in dir, in byte order of
// their names, without dotfiles: what the shell glob dir/* gave under
// LC_ALL=C.
func dirFiles(dir string) ([]input, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var inputs []input
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		// Stat follows a link, as the shell's -f test did.
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			inputs = append(inputs, fileInput(path))
		}
	}
	return inputs, nil
}
