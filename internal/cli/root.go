// Package cli holds the macabox command line: one file per verb, each binding
// flags to an options struct and calling into a package that does the work.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ccf-ai-infra/macabox/internal/escape"
	"github.com/ccf-ai-infra/macabox/internal/pipeline"
	"github.com/ccf-ai-infra/macabox/internal/recipe"
)

// printRecipeErrors writes one `file:line:col: message` line per problem, with
// paths relative to the working directory as editors and terminals link them.
func printRecipeErrors(w io.Writer, errs recipe.Errors) {
	for _, e := range errs.Sorted() {
		c := *e
		c.Pos.File = pipeline.RelPath(c.Pos.File)
		fmt.Fprintln(w, c.Error())
	}
	fmt.Fprintf(w, "macabox: %d problem%s found\n", len(errs), plural(len(errs)))
}

// Streams are the process's standard streams, injected so tests can capture them.
type Streams struct {
	In  io.Reader
	Out io.Writer // results: digests, JSON, Dockerfiles
	Err io.Writer // people: progress, messages, errors
}

// globalOptions are the flags every verb shares.
type globalOptions struct {
	root string
}

// Execute runs macabox with args and returns the process exit code.
func Execute(ctx context.Context, args []string, s Streams) int {
	cmd := NewRootCommand(s)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	var errs recipe.Errors
	switch {
	case err == nil, errors.Is(err, errSilent):
	case errors.As(err, &errs):
		printRecipeErrors(s.Err, errs)
	default:
		// A message may quote a bundle, a build log or a daemon: its lines
		// are printed as text, never as escape sequences.
		fmt.Fprintf(s.Err, "macabox: %s\n", escape.TerminalLines(err.Error()))
	}
	return exitCode(err)
}

// NewRootCommand builds the command tree afresh for each invocation, so no
// state survives between runs (and tests can build as many as they like).
func NewRootCommand(s Streams) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "macabox",
		Short: "Build, test and bundle reproducible MACA GPU images",
		Long: `macabox turns declarative recipes (images/ and recipes/) into reproducible container
images for MetaX's MACA GPU stack through BuildKit, runs their smoke tests inside
containers with MACA devices passed through, and exports bundles that a reviewer
rebuilds bit-for-bit and re-tests with one command.

Results go to stdout, messages and progress to stderr. Exit codes: 0 success,
1 the work ran and found problems (invalid recipe, failed test, digest mismatch),
2 the work could not be done (bad flags, daemon unreachable).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.PersistentFlags().StringVar(&g.root, "root", "",
		"recipe tree holding images/ and recipes/ (env MACABOX_ROOT; default: the nearest parent of the working directory that has one)")

	root.AddCommand(
		newInitCommand(g, s),
		newValidateCommand(g, s),
		newListCommand(g, s),
		newPlanCommand(g, s),
		newLockCommand(g, s),
		newBuildCommand(g, s),
		newTestCommand(g, s),
		newRunCommand(g, s),
		newReferenceCommand(g, s),
		newCDICommand(s),
		newDoctorCommand(s),
		newExportCommand(g, s),
		newVerifyCommand(s),
		newReproduceCommand(s),
		newVersionCommand(s),
		newCatalogCommand(s),
	)
	// Added eagerly (cobra otherwise adds it at Execute) so the generated
	// reference documents shell completion too.
	root.InitDefaultCompletionCmd()
	return root
}
