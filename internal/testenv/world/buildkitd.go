package world

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ccf-ai-infra/macabox/internal/testenv/buildkitd"
	"github.com/ccf-ai-infra/macabox/internal/testenv/daemon"
	"github.com/ccf-ai-infra/macabox/internal/testenv/rmtree"
)

// mainBuildkitd names the shared daemon; every other name is an extra,
// fresh one (start-buildkitd NAME).
const mainBuildkitd = "main"

const buildkitdGrace = 30 * time.Second

var extraName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// maxSocketPath keeps a socket path under the 108 bytes of sun_path.
const maxSocketPath = 100

// bkd is one buildkitd's files. The PID file's name (buildkitd or
// buildkitd-NAME) names its socket, config and root record too.
type bkd struct {
	proc   daemon.Proc
	sock   string
	root   string
	config string
	// rootRecord holds the root the running daemon was started with.
	rootRecord string
}

func (b bkd) addr() string { return "unix://" + b.sock }

func (w *World) buildkitd(name string) (bkd, error) {
	pidName, root := "buildkitd", w.BuildkitRoot
	if name != mainBuildkitd {
		if !extraName.MatchString(name) {
			return bkd{}, fmt.Errorf("buildkitd name %q: use 1-31 lowercase letters, digits and dashes", name)
		}
		pidName, root = "buildkitd-"+name, filepath.Join(w.extraDir(), name, "root")
	}
	run := w.runDir()
	b := bkd{
		proc:       daemon.Proc{RunDir: run, Name: pidName, Exe: "buildkitd"},
		sock:       filepath.Join(run, pidName+".sock"),
		root:       root,
		config:     filepath.Join(run, pidName+".toml"),
		rootRecord: filepath.Join(run, pidName+".root"),
	}
	if len(b.sock) >= maxSocketPath {
		return bkd{}, fmt.Errorf("socket path %s is too long for a unix socket; set MACABOX_CACHE to a shorter dir", b.sock)
	}
	return b, nil
}

func (w *World) probeBuildkitd(b bkd) func(context.Context) error {
	return func(ctx context.Context) error { return buildkitd.Probe(ctx, w.tools.Buildctl, b.addr()) }
}

// startBuildkitd starts the named daemon, or finds it running with the
// right root. fresh wipes its root first, for a daemon that must not reuse
// any cache.
func (w *World) startBuildkitd(ctx context.Context, name string, fresh bool) (bkd, error) {
	b, err := w.buildkitd(name)
	if err != nil {
		return bkd{}, err
	}
	if _, ok := b.proc.PID(); ok {
		recorded := readTrimmed(b.rootRecord)
		if recorded == b.root && w.probeBuildkitd(b)(ctx) == nil {
			w.log.Printf("%s: running at %s (root %s)", b.proc.Name, b.addr(), b.root)
			return b, nil
		}
		if recorded == "" {
			recorded = "?"
		}
		w.log.Printf("%s: running with root %s, wanted %s; restarting it", b.proc.Name, recorded, b.root)
		w.stopBuildkitdProc(b)
	}
	if !isRoot() {
		return bkd{}, fmt.Errorf("buildkitd needs root here (rootless BuildKit needs rootlesskit, which scripts/testenv.sh does not set up)")
	}
	if err := w.host.ensureCommands(ctx, need{"runc", "runc"}); err != nil {
		return bkd{}, err
	}
	if fresh {
		if err := rmtree.Remove(b.root); err != nil {
			return bkd{}, fmt.Errorf("emptying the root of %s: %w", b.proc.Name, err)
		}
	}
	tmp := buildkitd.TempDir(b.root)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return bkd{}, err
	}
	_ = os.Remove(b.sock)
	if err := os.WriteFile(b.config, []byte("# Written by scripts/testenv.sh.\n"+buildkitd.Config), 0o644); err != nil {
		return bkd{}, err
	}
	if err := os.WriteFile(b.rootRecord, []byte(b.root+"\n"), 0o644); err != nil {
		return bkd{}, err
	}
	logFile := w.logFile(b.proc.Name)
	w.log.Printf("%s: starting at %s (root %s, log %s)", b.proc.Name, b.addr(), b.root, logFile)
	argv := append([]string{w.tools.Buildkitd}, buildkitd.Args(b.config, b.root, b.addr())...)
	if err := b.proc.Start(logFile, withEnv("TMPDIR", tmp), argv...); err != nil {
		return bkd{}, err
	}
	return b, w.waitDaemon(ctx, b.proc, logFile, w.probeBuildkitd(b))
}

// stopBuildkitd stops the named daemon and removes its files; an extra
// daemon's root goes too.
func (w *World) stopBuildkitd(name string) error {
	b, err := w.buildkitd(name)
	if err != nil {
		return err
	}
	w.stopBuildkitdProc(b)
	if name == mainBuildkitd {
		return nil
	}
	if err := rmtree.Remove(filepath.Join(w.extraDir(), name)); err != nil {
		return fmt.Errorf("removing the root of %s: %w", b.proc.Name, err)
	}
	return nil
}

func (w *World) stopBuildkitdProc(b bkd) {
	b.proc.Stop(buildkitdGrace, w.log.Printf)
	for _, f := range []string{b.sock, b.rootRecord, b.config} {
		_ = os.Remove(f)
	}
}

// extraBuildkitds are the names of the extra daemons with a PID file.
func (w *World) extraBuildkitds() []string {
	files, _ := filepath.Glob(filepath.Join(w.runDir(), "buildkitd-*.pid"))
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "buildkitd-"), ".pid"))
	}
	return names
}

// withEnv is the caller's environment with one variable set.
func withEnv(name, value string) []string {
	return append(os.Environ(), name+"="+value)
}

func readTrimmed(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}
