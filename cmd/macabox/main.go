// Command macabox builds, tests and bundles reproducible MACA GPU images.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ccf-ai-infra/macabox/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
