package world

import (
	"context"
	"fmt"
	"os"
	"strconv"
)

// CheckRepro rebuilds both fixtures on a fresh buildkitd (empty root, so no
// cache at all) into a scratch store and compares their manifest digests
// with the main store's. The Debian base comes from the same debootstrap
// tarball; maca-sim runs apt-get against the mirror again.
func (w *World) CheckRepro(ctx context.Context) error {
	if err := w.resolveTools(); err != nil {
		return err
	}
	return w.withLock(func() error { return w.checkRepro(ctx) })
}

func (w *World) checkRepro(ctx context.Context) (err error) {
	if err := w.requireUp(); err != nil {
		return err
	}
	store, err := os.MkdirTemp(w.tmpDir(), "repro-store.")
	if err != nil {
		return err
	}
	name := "repro-" + strconv.Itoa(os.Getpid())
	// Cleanup runs also after an interrupt, so it must not use ctx.
	defer func() {
		if stopErr := w.stopBuildkitd(name); stopErr != nil && err == nil {
			err = stopErr
		}
		_ = os.RemoveAll(store)
	}()
	var b bkd
	if err := w.log.Phase("repro-buildkitd", func() (err error) {
		b, err = w.startBuildkitd(ctx, name, true)
		return err
	}); err != nil {
		return err
	}
	same := true
	for _, f := range []struct {
		fixture
		build func(ctx context.Context, addr, store, logFile string) (string, error)
	}{{debianFixture, w.buildDebian}, {macasimFixture, w.buildMacasim}} {
		ok, err := w.reproFixture(ctx, f.fixture, f.build, b.addr(), store)
		if err != nil {
			return err
		}
		same = same && ok
	}
	w.log.Timings()
	if !same {
		return fmt.Errorf("fixture builds are not reproducible (build logs: %s)", w.logFile("repro-*"))
	}
	w.log.Printf("reproducible: both fixtures have the same manifest digest on a fresh daemon")
	return nil
}

// reproFixture rebuilds f with build on the daemon at addr into store and
// compares the digest with the cached build's; on a difference it shows
// both images' layers.
func (w *World) reproFixture(ctx context.Context, f fixture, build func(ctx context.Context, addr, store, logFile string) (string, error), addr, store string) (bool, error) {
	want := w.stateGet(f.name, "digest")
	var got string
	err := w.log.Phase("repro-"+f.name, func() (err error) {
		got, err = build(ctx, addr, store, w.logFile("repro-"+f.name))
		return err
	})
	if err != nil {
		return false, err
	}
	w.log.Printf("%s first build: %s", f.name, want)
	w.log.Printf("%s fresh build: %s", f.name, got)
	if want == got {
		return true, nil
	}
	w.log.Printf("%s: DIFFERENT; layers first:", f.name)
	w.showLayers(w.ociStore(), want)
	w.log.Printf("%s: layers fresh:", f.name)
	w.showLayers(store, got)
	return false, nil
}

func (w *World) showLayers(store, digest string) {
	layers, err := manifestLayers(store, digest)
	if err != nil {
		w.log.Printf("    (%v)", err)
		return
	}
	for _, l := range layers {
		w.log.Printf("    %s", l)
	}
}
