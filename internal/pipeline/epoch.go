package pipeline

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// EpochEnv is the variable reproducible-builds.org defines for a build's time.
const EpochEnv = "SOURCE_DATE_EPOCH"

// Epoch is a resolved SOURCE_DATE_EPOCH and where it came from.
type Epoch struct {
	Seconds int64  `json:"seconds"`
	Source  string `json:"source"` // flag, env, git, default
}

// ResolveEpoch picks the build's SOURCE_DATE_EPOCH: the --source-date-epoch
// flag, else $SOURCE_DATE_EPOCH, else the time of the last git commit that
// touched the target's recipe files (when they are committed and unmodified),
// else 0. Every source but the flag and env is a function of the recipe, so
// two people building the same commit get the same epoch, and so the same
// digest.
func ResolveEpoch(ctx context.Context, flag string, getenv func(string) string, root string, files []string) (Epoch, error) {
	if flag != "" {
		n, err := parseEpoch(flag)
		if err != nil {
			return Epoch{}, fmt.Errorf("--source-date-epoch %q: %w", flag, err)
		}
		return Epoch{Seconds: n, Source: "flag"}, nil
	}
	if v := getenv(EpochEnv); v != "" {
		n, err := parseEpoch(v)
		if err != nil {
			return Epoch{}, fmt.Errorf("%s=%q: %w", EpochEnv, v, err)
		}
		return Epoch{Seconds: n, Source: "env"}, nil
	}
	if n, ok := gitEpoch(ctx, root, files); ok {
		return Epoch{Seconds: n, Source: "git"}, nil
	}
	return Epoch{Seconds: 0, Source: "default"}, nil
}

func parseEpoch(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a non-negative number of seconds since 1970")
	}
	return n, nil
}

// gitEpoch asks git for the last commit time of files, but only when none of
// them has uncommitted changes: an edited recipe is not that commit.
func gitEpoch(ctx context.Context, root string, files []string) (int64, bool) {
	if root == "" || len(files) == 0 {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	git := func(args ...string) (string, bool) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", root}, args...)...)
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err == nil
	}
	status, ok := git(append([]string{"status", "--porcelain", "--"}, files...)...)
	if !ok || status != "" {
		return 0, false
	}
	tracked, ok := git(append([]string{"ls-files", "--"}, files...)...)
	if !ok || tracked == "" {
		return 0, false
	}
	ct, ok := git(append([]string{"log", "-1", "--format=%ct", "--"}, files...)...)
	if !ok || ct == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(ct, 10, 64)
	return n, err == nil
}
