// Command testenv builds and runs the macabox test world. It is what
// scripts/testenv.sh runs, after building it into the cache.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ccf-ai-infra/macabox/internal/testenv/world"
)

const usage = `scripts/testenv.sh: the macabox test world, built on this machine
because no container registry or package index can be reached.

  scripts/testenv.sh up                   start docker, buildkitd, registry; build fixtures
  scripts/testenv.sh env                  print ` + "`export VAR=value`" + ` lines for tests
  scripts/testenv.sh status               what is running, and the fixture digests
  scripts/testenv.sh down                 stop what ` + "`up`" + ` started (and nothing else)
  scripts/testenv.sh docker               only make ` + "`docker info`" + ` work (used by .ci/run)
  scripts/testenv.sh tools                only build the pinned tools
  scripts/testenv.sh start-buildkitd NAME an extra, fresh buildkitd; prints its address
  scripts/testenv.sh stop-buildkitd NAME  stop it and remove its root
  scripts/testenv.sh check-repro          rebuild the fixtures on a fresh daemon and
                                          compare manifest digests

Settings (environment):
  MACABOX_CACHE          cache dir (default ~/.cache/macabox)
  MACABOX_REGISTRY_PORT  local registry port on 127.0.0.1 (default 5000)
  MACABOX_DEBIAN_MIRROR  mirror for debootstrap (default http://deb.debian.org/debian)
  MACABOX_BUILDKIT_ROOT  root of the main buildkitd (default $MACABOX_CACHE/buildkit)
  MACABOX_FIXTURE_EPOCH  SOURCE_DATE_EPOCH of the fixtures
  MACABOX_START_TIMEOUT  seconds to wait for a daemon to answer (default 90)

Everything up starts is recorded by PID in $MACABOX_CACHE/run/*.pid, and
down stops only those processes: a developer's own dockerd or registry is
never touched.
`

// exitUsage is the exit status of a command line that makes no sense.
const exitUsage = 2

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if code != 0 && ctx.Err() != nil {
		// Interrupted: the shell convention, as .ci/run's traps expect.
		code = 130
	}
	stop()
	os.Exit(code)
}

// command is one subcommand: the arguments it takes and what it does.
type command struct {
	params []string
	run    func(ctx context.Context, w *world.World, args []string) error
}

var commands = map[string]command{
	"up":     {nil, func(ctx context.Context, w *world.World, _ []string) error { return w.Up(ctx) }},
	"down":   {nil, func(_ context.Context, w *world.World, _ []string) error { return w.Down() }},
	"env":    {nil, func(ctx context.Context, w *world.World, _ []string) error { return w.Env(ctx) }},
	"status": {nil, func(ctx context.Context, w *world.World, _ []string) error { return w.Status(ctx) }},
	"docker": {nil, func(ctx context.Context, w *world.World, _ []string) error { return w.Docker(ctx) }},
	"tools":  {nil, func(ctx context.Context, w *world.World, _ []string) error { return w.Tools(ctx) }},
	"start-buildkitd": {[]string{"NAME"}, func(ctx context.Context, w *world.World, a []string) error {
		return w.StartBuildkitd(ctx, a[0])
	}},
	"stop-buildkitd": {[]string{"NAME"}, func(_ context.Context, w *world.World, a []string) error { return w.StopBuildkitd(a[0]) }},
	"check-repro":    {nil, func(ctx context.Context, w *world.World, _ []string) error { return w.CheckRepro(ctx) }},
}

func run(ctx context.Context, argv []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("testenv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	repo := fs.String("repo", "", "the macabox checkout (default: the one around the working directory)")
	if err := fs.Parse(argv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	args := fs.Args()
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if len(args)-1 != len(cmd.params) {
		fmt.Fprintf(stderr, "[testenv] error: usage: %s\n", strings.Join(append([]string{"scripts/testenv.sh", args[0]}, cmd.params...), " "))
		return exitUsage
	}
	log := world.NewLog(stderr, "testenv")
	err := func() error {
		root, err := checkout(*repo)
		if err != nil {
			return err
		}
		home, _ := os.UserHomeDir()
		settings, err := world.SettingsFromEnv(os.Getenv, home)
		if err != nil {
			return err
		}
		w, err := world.New(settings, root, stdout, log)
		if err != nil {
			return err
		}
		return cmd.run(ctx, w, args[1:])
	}()
	if err != nil {
		log.Printf("error: %v", err)
		return 1
	}
	return 0
}

// checkout is the macabox checkout: dir, or the nearest directory above
// the working directory that has scripts/testenv.sh.
func checkout(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "scripts", "testenv.sh")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no macabox checkout around %s; run scripts/testenv.sh from the checkout, or pass -repo DIR", wd)
		}
	}
}
