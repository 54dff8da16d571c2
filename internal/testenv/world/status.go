package world

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// errNotUp is returned by status when part of the world is down, after
// printing what is.
var errNotUp = errors.New("part of the test world is down; run: scripts/testenv.sh up")

// requireUp fails unless the services `env` describes are there.
func (w *World) requireUp() error {
	var problems []string
	main, _ := w.buildkitd(mainBuildkitd)
	if _, ok := main.proc.PID(); !ok {
		problems = append(problems, "buildkitd is not running")
	}
	if _, ok := w.registry().PID(); !ok {
		problems = append(problems, "the registry is not running")
	}
	if w.stateGet(debianFixture.name, "digest") == "" {
		problems = append(problems, "the Debian fixture is missing")
	}
	if w.stateGet(macasimFixture.name, "digest") == "" {
		problems = append(problems, "the maca-sim fixture is missing")
	}
	if len(problems) > 0 {
		return fmt.Errorf("test environment is not up (%s); run: scripts/testenv.sh up", strings.Join(problems, "; "))
	}
	return nil
}

// Status prints what is running and the fixtures' digests, and fails when
// a part of the world is down.
func (w *World) Status(ctx context.Context) error {
	if err := w.resolveTools(); err != nil {
		return err
	}
	ok := true
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w.out, "%-12s%s\n", label+":", fmt.Sprintf(format, args...))
	}
	if dockerAnswers(ctx) == nil {
		if pid, mine := w.dockerd().PID(); mine {
			line("docker", "up, dockerd pid %d (started by testenv), %s", pid, dockerEndpoint(ctx))
		} else {
			line("docker", "up, not started by testenv, %s", dockerEndpoint(ctx))
		}
	} else {
		line("docker", "down")
		ok = false
	}
	main, _ := w.buildkitd(mainBuildkitd)
	if pid, up := main.proc.PID(); up {
		root := readTrimmed(main.rootRecord)
		if root == "" {
			root = "?"
		}
		line("buildkitd", "up, pid %d, %s, root %s", pid, main.addr(), root)
	} else {
		line("buildkitd", "down")
		ok = false
	}
	for _, name := range w.extraBuildkitds() {
		b, err := w.buildkitd(name)
		if err != nil {
			continue
		}
		if pid, up := b.proc.PID(); up {
			line("extra", "%s up, pid %d, %s", b.proc.Name, pid, b.addr())
		}
	}
	if pid, up := w.registry().PID(); up {
		line("registry", "up, pid %d, %s", pid, w.registryAddr())
	} else {
		line("registry", "down")
		ok = false
	}
	line("tools", "buildkit %s, registry %s (%s)", w.tools.BuildkitVersion, w.tools.RegistryVersion, w.binDir())
	line("oci store", "%s", w.ociStore())
	for _, f := range fixtures {
		digest := w.stateGet(f.name, "digest")
		if digest == "" {
			digest = "(not built)"
		}
		line(f.name, "%s %s", f.ref, digest)
	}
	if !ok {
		return errNotUp
	}
	return nil
}
