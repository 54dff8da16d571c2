// Command macabox builds, tests and bundles reproducible MACA GPU images.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ccf-ai-infra/macabox/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], cli.Execute))
}

// run executes the command line with a context that the first SIGINT or
// SIGTERM cancels, so the work stops and removes what it started
// (containers, temp dirs); a second signal ends the process at once,
// whatever it was waiting for.
func run(args []string, execute func(context.Context, []string, cli.Streams) int) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go interrupts(signals, cancel, os.Stderr, os.Exit)
	return execute(ctx, args, cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}

func interrupts(signals <-chan os.Signal, cancel context.CancelFunc, stderr io.Writer, exit func(int)) {
	<-signals
	cancel()
	sig := <-signals
	fmt.Fprintf(stderr, "macabox: %v again: quitting without cleaning up\n", sig)
	code := 130
	if sig == syscall.SIGTERM {
		code = 143
	}
	exit(code)
}
