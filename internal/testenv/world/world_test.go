package world

import (
	"bytes"
	"context"
	"testing"
)

const (
	testMainMod     = "module example.com/m\n\ngo 1.26\n\nrequire (\n\tgithub.com/moby/buildkit v0.34.2\n\tgolang.org/x/sys v0.1.0 // indirect\n)\n"
	testBuildkitMod = "module example.com/m/scripts/tools/buildkit\n\ntool github.com/moby/buildkit/cmd/buildkitd\n\nrequire github.com/moby/buildkit v0.34.2 // indirect\n"
	testRegistryMod = "module example.com/m/scripts/tools/registry\n\nrequire (\n\tgithub.com/distribution/distribution/v3 v3.1.2 // indirect\n)\n"
)

// testWorld is a world over a small fake checkout and an empty cache.
func testWorld(t *testing.T) (*World, *bytes.Buffer) {
	t.Helper()
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"go.mod":                               testMainMod,
		"scripts/tools/buildkit/go.mod":        testBuildkitMod,
		"scripts/tools/registry/go.mod":        testRegistryMod,
		"scripts/fixtures/debian/mkrootfs.sh":  "#!/bin/sh\n",
		"scripts/fixtures/debian/Dockerfile":   "FROM scratch\n",
		"scripts/fixtures/maca-sim/Dockerfile": "FROM macabox.test/debian:bookworm\n",
		"scripts/fixtures/maca-sim/mx-smi":     "#!/bin/sh\n",
	})
	s, err := SettingsFromEnv(func(string) string { return "" }, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := New(s, repo, &out, NewLog(&bytes.Buffer{}, "test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.resolveTools(); err != nil {
		t.Fatal(err)
	}
	return w, &out
}

func TestFixtureKeysFollowTheirInputs(t *testing.T) {
	w, _ := testWorld(t)
	ctx := context.Background()
	keys := func() (debian, macasim string) {
		t.Helper()
		d, err := w.debianImageKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := w.macasimKey()
		if err != nil {
			t.Fatal(err)
		}
		return d, m
	}
	d0, m0 := keys()
	if d1, m1 := keys(); d1 != d0 || m1 != m0 {
		t.Fatalf("keys not stable: %s %s, then %s %s", d0, m0, d1, m1)
	}
	for _, c := range []struct {
		change             string
		do                 func()
		debian, macasimToo bool
	}{
		{"the mirror", func() { w.DebianMirror = "http://mirror.example/debian" }, true, false},
		{"the epoch", func() { w.FixtureEpoch = "1" }, true, true},
		{"mkrootfs.sh", func() {
			writeFiles(t, w.repo, map[string]string{"scripts/fixtures/debian/mkrootfs.sh": "#!/bin/sh\n:\n"})
		}, true, false},
		{"the Debian Dockerfile", func() {
			writeFiles(t, w.repo, map[string]string{"scripts/fixtures/debian/Dockerfile": "FROM scratch\nCMD [\"sh\"]\n"})
		}, true, false},
		{"the Debian digest", func() { _ = w.statePut("debian", "k", "sha256:"+repeat64("1")) }, false, true},
		{"a new maca-sim file", func() {
			writeFiles(t, w.repo, map[string]string{"scripts/fixtures/maca-sim/make-wheel.py": "print()\n"})
		}, false, true},
		{"mx-smi", func() {
			writeFiles(t, w.repo, map[string]string{"scripts/fixtures/maca-sim/mx-smi": "#!/bin/sh\nexit 0\n"})
		}, false, true},
	} {
		c.do()
		d, m := keys()
		if (d != d0) != c.debian {
			t.Errorf("changing %s: Debian key changed=%v, want %v", c.change, d != d0, c.debian)
		}
		if (m != m0) != c.macasimToo {
			t.Errorf("changing %s: maca-sim key changed=%v, want %v", c.change, m != m0, c.macasimToo)
		}
		d0, m0 = d, m
	}
	// A dotfile (an editor's swap file, say) is not an input.
	writeFiles(t, w.repo, map[string]string{"scripts/fixtures/maca-sim/.mx-smi.swp": "x"})
	if _, m := keys(); m != m0 {
		t.Errorf("a dotfile changed the maca-sim key")
	}
}

func repeat64(s string) string {
	return string(bytes.Repeat([]byte(s), 64))
}

func TestCachedFixtureNeedsKeyStateAndImage(t *testing.T) {
	w, _ := testWorld(t)
	digest := "sha256:" + repeat64("a")
	if _, ok := w.cachedFixture(debianFixture, "k1"); ok {
		t.Error("cached with no state")
	}
	if err := w.statePut("debian", "k1", digest); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.cachedFixture(debianFixture, "k1"); ok {
		t.Error("cached with state but no image in the store")
	}
	writeStore(t, w.ociStore(), map[string]string{debianRef: digest})
	if got, ok := w.cachedFixture(debianFixture, "k1"); !ok || got != digest {
		t.Errorf("cachedFixture = %s, %v; want %s, true", got, ok, digest)
	}
	if _, ok := w.cachedFixture(debianFixture, "k2"); ok {
		t.Error("cached under another key")
	}
	if _, ok := w.cachedFixture(macasimFixture, "k1"); ok {
		t.Error("maca-sim cached from the Debian state")
	}
}
