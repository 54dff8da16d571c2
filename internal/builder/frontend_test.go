package builder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ccf-ai-infra/macabox/internal/testenv"
)

// TestSyntaxDirectiveIsNotObeyed builds, on the test world's buildkitd,
// Dockerfiles that name a frontend image in the ways dockerfile.v0 would
// forward the build to it: the build runs the built-in frontend, and the
// image's registry is never contacted.
func TestSyntaxDirectiveIsNotObeyed(t *testing.T) {
	b := connect(t, testenv.Require(t).BuildkitHost)
	reg := testenv.Watch(t)
	frontend := reg.Addr() + "/evil/frontend:1"
	file := filepath.Join(t.TempDir(), "a")
	if err := os.WriteFile(file, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]Request{
		"directive": {Dockerfile: []byte("# syntax=" + frontend + "\nFROM scratch\nCOPY a /a\n")},
		"shebang":   {Dockerfile: []byte("#!/bin/true\n# syntax=" + frontend + "\nFROM scratch\nCOPY a /a\n")},
		"build arg": {Dockerfile: []byte("FROM scratch\nCOPY a /a\n"), Args: map[string]string{"BUILDKIT_SYNTAX": frontend}},
	} {
		t.Run(name, func(t *testing.T) {
			req.Name, req.Files = name, map[string]string{"a": file}
			before := reg.Connections()
			if _, err := b.Build(testContext(t), req); err != nil {
				t.Errorf("build: %v", err)
			}
			if n := reg.Connections() - before; n > 0 {
				t.Errorf("the builder made %d connection(s) to the frontend image's registry", n)
			}
		})
	}
}
