package builder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

// debianBase is the testenv's Debian bookworm minbase fixture.
func debianBase(t *testing.T) NamedContext {
	t.Helper()
	store := requireEnv(t, "MACABOX_TEST_OCI_STORE")
	dgst := requireEnv(t, "MACABOX_TEST_DEBIAN_DIGEST")
	return NamedContext{OCILayout: store, Digest: dgst}
}

// aptDockerfile installs a package from Debian's mirror and removes what apt
// and dpkg write that changes from run to run (lists, logs, caches, *-old).
const aptDockerfile = `FROM debian
COPY motd /etc/motd
RUN apt-get update \
 && apt-get install -y --no-install-recommends hello \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /var/log/alternatives.log /var/cache/ldconfig/aux-cache \
 && find /var/lib/dpkg /var/cache/debconf -name '*-old' -delete \
 && hello > /opt/greeting
`

// TestReproducibleApt is the acceptance check for an apt step: same
// manifest digest after pruning the cache and on a fresh buildkitd.
func TestReproducibleApt(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads from the Debian mirror")
	}
	base := debianBase(t)
	ctx := testContext(t)
	motd := filepath.Join(t.TempDir(), "motd")
	if err := os.WriteFile(motd, []byte("built by macabox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	epoch := int64(1735689600)
	out := t.TempDir()
	req := func(label string) Request {
		return Request{
			Dockerfile: []byte(aptDockerfile),
			Files:      map[string]string{"motd": motd},
			Contexts:   map[string]NamedContext{"debian": base},
			Epoch:      &epoch,
			Outputs:    []Output{{Type: OutputOCI, Dest: filepath.Join(out, label)}},
		}
	}
	b := connect(t, startBuildkitd(t))
	digests := map[string]string{}
	build := func(b *Builder, label string) {
		start := time.Now()
		res, err := b.Build(ctx, req(label))
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		digests[label] = res.ManifestDigest
		t.Logf("%s: %s in %v", label, res.ManifestDigest, time.Since(start).Round(time.Millisecond))
	}
	build(b, "first")
	if err := b.bk.Prune(ctx, nil, bkclient.PruneAll); err != nil {
		t.Fatal(err)
	}
	build(b, "after prune")
	build(connect(t, startBuildkitd(t)), "fresh buildkitd")
	for label, d := range digests {
		if d != digests["first"] {
			t.Errorf("%s: %s, first build %s", label, d, digests["first"])
		}
	}
}
