package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/builder"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

type lockOptions struct {
	*globalOptions
	builderFlags
	sets, bases, secrets []string
	platform, progress   string
	check, update        bool
	only                 []string
}

func newLockCommand(g *globalOptions, s Streams) *cobra.Command {
	o := &lockOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "lock TARGET...",
		Short: "Pin every input of a target (base digests, packages, commits) in a lock file",
		Long: `Lock resolves every input of each TARGET and writes <target>.lock.yaml beside its
recipe: each FROM image's digest (through BuildKit's resolver; one supplied with --base
from an OCI layout by its digest), for every apt and dnf step the exact version of
every package it installed (dependencies included), for every pip step the complete
set with the sha256 of each file pip chose, for every git step the commit its ref
resolved to (and its submodules'), the checksum and origin of every download, the
build arguments, and, as unlocked, the run steps that fetch from the network by
themselves.

Everything is resolved by building the target once more in BuildKit, from scratch,
with each step recording what it did: the lock sees exactly the images, networks,
indexes and mirrors a build sees. The file is sorted: locking twice with nothing
changed gives the same bytes.

A locked build (build --locked, export of a stack with a lock) then installs exactly
that, and fails naming the package, the locked version and what the index or mirror
offers now when a pin can no longer be met. --check only compares each lock with
its recipes and exits 1 when one is stale (for CI); --update re-resolves, --only
refreshes one input and keeps the rest.

A Matrix target locks each of its cells, a stack of its own, into <cell>.lock.yaml
beside the matrix; a cell that fails to lock (or, with --check, whose lock is stale)
is reported and the other cells go on.

Exit status: 0 locked (or current, with --check), 1 a lock is stale or a step
failed, 2 the lock could not be made (no builder, bad flags).`,
		Example: `  # lock the MinerU stack on a host that reaches MetaX's registry and PyPI
  macabox lock mineru-maca3

  # in CI: fail when a recipe changed and its lock was not refreshed
  macabox lock --check mineru-maca3 vllm-metax-maca3

  # take a newer base image, keep every package pin
  macabox lock --update --only cr.metax-tech.com/public-ai-release/maca/vllm:maca.ai3.0.0.5-torch2.6-py310-ubuntu22.04-amd64 mineru-maca3

  # every cell of a matrix, each in its own lock file
  macabox lock mineru-lines

  # the demo, with its simulated base from an OCI layout
  macabox lock demo --base macabox.test/maca-sim:3.0.0.5=oci-layout://$HOME/oci@sha256:<digest>`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeTargets(g),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLock(cmd.Context(), o, args, s)
		},
	}
	f := cmd.Flags()
	o.builderFlags.bind(f)
	f.StringArrayVar(&o.sets, "set", nil, "override a build argument, NAME=VALUE (repeatable)")
	f.StringArrayVar(&o.bases, "base", nil, "supply a FROM image: REF=oci-layout://DIR@sha256:... or REF=docker-image://REF (repeatable)")
	f.StringArrayVar(&o.secrets, "secret", nil, "build secret the steps need to resolve: id=NAME,src=FILE or id=NAME,env=VAR (repeatable)")
	f.StringVar(&o.platform, "platform", "", "platform to lock for (default: the recipe's, else linux/amd64)")
	f.StringVar(&o.progress, "progress", "auto", "progress display: "+strings.Join(builder.ProgressModes, ", "))
	f.BoolVar(&o.check, "check", false, "only check that each lock is current; exit 1 when one is stale")
	f.BoolVar(&o.update, "update", false, "re-resolve an existing lock")
	f.StringArrayVar(&o.only, "only", nil, "with --update: refresh only this input, a step id (recipe#n) or a base reference (repeatable)")
	return cmd
}

func runLock(ctx context.Context, o *lockOptions, targets []string, s Streams) error {
	if len(o.only) > 0 && !o.update {
		return cannot("--only refreshes part of an existing lock: use it with --update")
	}
	if o.check && o.update {
		return cannot("--check and --update contradict each other")
	}
	req := pipeline.RequestOptions{Platform: o.platform, Progress: o.progress}
	var err error
	if req.Args, err = parseSets(o.sets); err != nil {
		return err
	}
	if req.Bases, err = parseBases(o.bases); err != nil {
		return err
	}
	if req.Secrets, err = parseSecrets(o.secrets); err != nil {
		return err
	}
	results, err := pipeline.Lock(ctx, pipeline.LockOptions{
		Root: o.root, Targets: targets, Request: req, Builder: o.builderFlags.options(),
		Check: o.check, Only: o.only, Err: s.Err,
	})
	for _, r := range results {
		switch {
		case o.check:
			fmt.Fprintf(s.Err, "%s: %s is current\n", r.Target, r.File)
		case r.Changed:
			fmt.Fprintf(s.Err, "%s: wrote %s (%s)\n", r.Target, r.File, lockSummary(r))
		default:
			fmt.Fprintf(s.Err, "%s: %s unchanged (%s)\n", r.Target, r.File, lockSummary(r))
		}
		fmt.Fprintln(s.Out, r.File)
	}
	return outcome(err)
}

// lockSummary counts what a lock pins and what it cannot.
func lockSummary(r pipeline.LockResult) string {
	l := r.Lock
	pkgs, commits := 0, 0
	for _, st := range l.Steps {
		pkgs += len(st.Packages)
		if st.Git != nil {
			commits++
		}
	}
	text := fmt.Sprintf("%d base(s), %d package(s), %d commit(s)", len(l.Bases), pkgs, commits)
	if n := len(l.Unlocked); n > 0 {
		text += fmt.Sprintf("; %d input(s) unlocked: see its unlocked list", n)
	}
	return text
}
