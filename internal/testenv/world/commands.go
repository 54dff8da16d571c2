package world

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Up starts whatever part of the world is not running and builds whatever
// fixture is missing or stale; with everything in place it only checks.
func (w *World) Up(ctx context.Context) error {
	start := time.Now()
	if err := requireRoot("up"); err != nil {
		return err
	}
	if err := w.resolveTools(); err != nil {
		return err
	}
	return w.withLock(func() error { return w.up(ctx, start) })
}

func (w *World) up(ctx context.Context, start time.Time) error {
	if err := w.log.Phase("packages", func() error { return w.host.ensureHostPackages(ctx) }); err != nil {
		return err
	}
	if err := w.toolsAndRootfs(ctx); err != nil {
		return err
	}
	steps := []struct {
		phase string
		run   func(context.Context) error
	}{
		{"docker", w.ensureDocker},
		{"buildkitd", func(ctx context.Context) error {
			_, err := w.startBuildkitd(ctx, mainBuildkitd, false)
			return err
		}},
		{"registry", w.ensureRegistry},
		{"fixture-debian", w.ensureDebian},
		{"fixture-maca-sim", w.ensureMacasim},
		{"push", w.pushFixtures},
		{"docker-images", w.dockerLoadFixtures},
	}
	for _, s := range steps {
		if err := w.log.Phase(s.phase, func() error { return s.run(ctx) }); err != nil {
			return err
		}
	}
	if err := w.writeEnvFile(ctx); err != nil {
		return fmt.Errorf("writing %s: %w", w.envFile(), err)
	}
	w.log.Total(start)
	w.log.Timings()
	w.log.Printf(`ready; use it with: eval "$(scripts/testenv.sh env)"  (also in %s)`, w.envFile())
	return nil
}

// toolsAndRootfs builds the tools and, when the Debian image must be
// rebuilt, its debootstrap tarball at the same time: compiling is bound by
// the CPU and debootstrap mostly by the network, so on a fresh machine
// this saves most of debootstrap's minutes.
func (w *World) toolsAndRootfs(ctx context.Context) error {
	key, err := w.debianImageKey(ctx)
	if err != nil {
		return err
	}
	if _, cached := w.cachedFixture(debianFixture, key); cached {
		return w.log.Phase("tools", func() error { return w.ensureTools(ctx) })
	}
	// The first failure stops the other job; its error is the one to show.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var first error
	var once sync.Once
	fail := func(err error) {
		if err != nil {
			once.Do(func() { first = err; cancel() })
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		fail(w.log.Phase("debian-rootfs", func() error {
			_, err := w.ensureDebianRootfs(ctx)
			return err
		}))
	})
	fail(w.log.Phase("tools", func() error { return w.ensureTools(ctx) }))
	wg.Wait()
	return first
}

func (w *World) ensureDebian(ctx context.Context) error {
	key, err := w.debianImageKey(ctx)
	if err != nil {
		return err
	}
	return w.ensureFixture(ctx, debianFixture, key, w.buildDebian)
}

func (w *World) ensureMacasim(ctx context.Context) error {
	key, err := w.macasimKey()
	if err != nil {
		return err
	}
	return w.ensureFixture(ctx, macasimFixture, key, w.buildMacasim)
}

// Down stops what `up` and start-buildkitd started, and nothing else.
func (w *World) Down() error {
	return w.withLock(w.down)
}

func (w *World) down() error {
	var errs []error
	for _, name := range w.extraBuildkitds() {
		errs = append(errs, w.stopBuildkitd(name))
	}
	errs = append(errs, w.stopBuildkitd(mainBuildkitd))
	w.registry().Stop(registryGrace, w.log.Printf)
	_ = os.Remove(w.registryPortRecord())
	w.dockerd().Stop(dockerGrace, w.log.Printf)
	_ = os.Remove(w.envFile())
	if err := errors.Join(errs...); err != nil {
		return err
	}
	w.log.Printf("down: stopped everything testenv had started")
	return nil
}

// Env prints the variables tests read, if the world is up.
func (w *World) Env(ctx context.Context) error {
	if err := w.resolveTools(); err != nil {
		return err
	}
	if err := w.requireUp(); err != nil {
		return err
	}
	return w.emitEnv(ctx, w.out)
}

// Docker only makes `docker info` work.
func (w *World) Docker(ctx context.Context) error {
	return w.withLock(func() error {
		return w.log.Phase("docker", func() error { return w.ensureDocker(ctx) })
	})
}

// Tools only builds the pinned tools.
func (w *World) Tools(ctx context.Context) error {
	if err := w.resolveTools(); err != nil {
		return err
	}
	return w.withLock(func() error {
		return w.log.Phase("tools", func() error { return w.ensureTools(ctx) })
	})
}

// StartBuildkitd starts an extra, fresh buildkitd and prints its address.
func (w *World) StartBuildkitd(ctx context.Context, name string) error {
	if name == mainBuildkitd {
		return errors.New("the name 'main' is taken by the main daemon")
	}
	if _, err := w.buildkitd(name); err != nil {
		return err
	}
	if err := requireRoot("start-buildkitd " + name); err != nil {
		return err
	}
	if err := w.resolveTools(); err != nil {
		return err
	}
	return w.withLock(func() error {
		if err := w.ensureTools(ctx); err != nil {
			return err
		}
		b, err := w.startBuildkitd(ctx, name, true)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w.out, b.addr())
		return err
	})
}

// StopBuildkitd stops an extra buildkitd and removes its root.
func (w *World) StopBuildkitd(name string) error {
	if name == mainBuildkitd {
		return errors.New("stop the main daemon with: scripts/testenv.sh down")
	}
	return w.withLock(func() error { return w.stopBuildkitd(name) })
}

// lockWait is how long a command waits for another to finish: a cold `up`
// on a slow machine takes about this long.
const lockWait = 15 * time.Minute

// withLock runs fn holding the world's lock.
func (w *World) withLock(fn func() error) error {
	unlock, err := lock(w.runDir(), lockWait, w.log.Printf)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}
