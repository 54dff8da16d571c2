package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/ccf-ai-infra/macabox/internal/docker"
)

// Labels on every container macabox starts for smoke tests. They are how a
// container left by a killed run (SIGKILL cannot be handled) is found again.
const (
	LabelKind   = "org.ccf-ai-infra.macabox"
	LabelRun    = "org.ccf-ai-infra.macabox.run"
	LabelTarget = "org.ccf-ai-infra.macabox.target"

	// KindSmoke is LabelKind's value on smoke test containers.
	KindSmoke = "smoke"
)

// NewRunID returns a fresh run id: short, random, and safe in container names.
func NewRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "r" + hex.EncodeToString(b[:])
}

func runLabels(runID, target string, extra map[string]string) map[string]string {
	l := make(map[string]string, len(extra)+6)
	for k, v := range extra {
		l[k] = v
	}
	for k, v := range currentOwner().labels() {
		l[k] = v
	}
	l[LabelKind] = KindSmoke
	l[LabelRun] = runID
	l[LabelTarget] = target
	return l
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// containerName is readable in `docker ps` and unique per run.
func containerName(target, runID string) string {
	t := strings.Trim(unsafeName.ReplaceAllString(target, "-"), "-.")
	if len(t) > 40 {
		t = t[:40]
	}
	if t == "" {
		return "macabox-smoke-" + runID
	}
	return "macabox-smoke-" + t + "-" + runID
}

// CleanupResult lists what Cleanup found.
type CleanupResult struct {
	Removed []string
	// Kept are containers Cleanup left alone, each with the reason: a run
	// still in progress, or a run started from another host.
	Kept []string
}

// Cleanup removes smoke test containers left behind, running or not. With a
// runID it removes that run's containers. With an empty runID it removes those
// of every run whose macabox process has ended (killed, or run with --keep),
// and keeps those of runs still in progress on this host and of runs started
// from other hosts. It serves `macabox test --cleanup`.
func Cleanup(ctx context.Context, cli *docker.Client, runID string) (CleanupResult, error) {
	return cleanupWith(ctx, cli, runID)
}

func cleanupWith(ctx context.Context, cli *docker.Client, runID string) (CleanupResult, error) {
	want := map[string]string{LabelKind: KindSmoke}
	if runID != "" {
		want[LabelRun] = runID
	}
	list, err := cli.Labelled(ctx, want)
	if err != nil {
		return CleanupResult{}, err
	}
	host, _ := os.Hostname()
	var res CleanupResult
	var errs []error
	for _, c := range list {
		name := c.Name
		if runID == "" {
			if o, ok := ownerOf(c.Labels); ok {
				switch o.state(host) {
				case ownerAlive:
					res.Kept = append(res.Kept, fmt.Sprintf("%s (its run is in progress: pid %d)", name, o.pid))
					continue
				case ownerElsewhere:
					res.Kept = append(res.Kept, fmt.Sprintf("%s (started from host %s)", name, o.host))
					continue
				}
			}
		}
		if err := cli.Remove(ctx, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", name, err))
			continue
		}
		res.Removed = append(res.Removed, name)
	}
	return res, errors.Join(errs...)
}
