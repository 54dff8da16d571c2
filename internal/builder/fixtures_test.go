package builder

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var fixtures struct {
	dir string

	once    sync.Once
	busybox NamedContext
	err     error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "macabox-builder-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtures.dir = dir
	code := m.Run()
	if err := removeAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// staticBusybox finds a statically linked busybox (Debian's busybox-static):
// a dynamic one would not run in a FROM scratch image.
func staticBusybox(t *testing.T) string {
	t.Helper()
	p := os.Getenv("MACABOX_TEST_BUSYBOX")
	if p == "" {
		p = "/bin/busybox"
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatalf("no busybox at %s (apt-get install busybox-static): %v", p, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			t.Fatalf("%s is dynamically linked: apt-get install busybox-static", p)
		}
	}
	return p
}

// busyboxEpoch is fixed so the fixture, and everything built on it, has one
// digest on every machine.
var busyboxEpoch = int64(1700000000)

const busyboxDockerfile = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/bin
`

// busyboxBase is a tiny base image in an OCI layout, built once per test run
// through this package (FROM scratch needs nothing from a registry).
func busyboxBase(t *testing.T, b *Builder) NamedContext {
	t.Helper()
	bb := staticBusybox(t)
	fixtures.once.Do(func() {
		dir := filepath.Join(fixtures.dir, "busybox-oci")
		res, err := b.Build(testContext(t), Request{
			Name:       "busybox",
			Dockerfile: []byte(busyboxDockerfile),
			Files:      map[string]string{"busybox": bb},
			Epoch:      &busyboxEpoch,
			Outputs:    []Output{{Type: OutputOCI, Dest: dir}},
		})
		if err != nil {
			fixtures.err = err
			return
		}
		fixtures.busybox = NamedContext{OCILayout: dir, Digest: res.ManifestDigest}
	})
	if fixtures.err != nil {
		t.Fatalf("building the busybox base: %v", fixtures.err)
	}
	return fixtures.busybox
}
