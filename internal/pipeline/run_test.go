package pipeline

import (
	"slices"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/device"
)

// TestRunLineEndsOptionsBeforeTheImage: an image reference that looks like an
// option must reach docker as the image, never as a flag.
func TestRunLineEndsOptionsBeforeTheImage(t *testing.T) {
	argv := dockerRunArgv(device.Spec{}, []string{"/a:/b"}, "--privileged", "n", []string{"--help"}, false)
	i := slices.Index(argv, "--")
	if i < 0 || argv[i+1] != "--privileged" || !slices.Equal(argv[i+2:], []string{"--help"}) {
		t.Fatalf("argv = %q", argv)
	}
	if slices.Contains(argv[:i], "--privileged") {
		t.Fatalf("image read as an option: %q", argv)
	}
}
