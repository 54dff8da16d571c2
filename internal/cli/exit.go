package cli

import (
	"errors"
	"fmt"

	"github.com/ccf-ai-infra/macabox/internal/pipeline"
)

// Exit codes shared by every verb (DESIGN §6).
const (
	ExitOK       = 0
	ExitProblems = 1 // the work ran and found problems: invalid recipe, failed test, digest mismatch
	ExitCannot   = 2 // the work could not run at all: bad flags, unreachable daemon
)

// exitError carries an exit code up to Execute. Its message is printed once, there.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// problems marks an error as "the work ran and the answer is no" (exit 1).
func problems(err error) error { return &exitError{code: ExitProblems, err: err} }

// cannot marks an error as "the work could not be done" (exit 2).
func cannot(format string, args ...any) error {
	return &exitError{code: ExitCannot, err: fmt.Errorf(format, args...)}
}

// outcome maps what a pipeline call returned onto an exit code: work that
// could not be done is 2, any other error (invalid recipes, a failed build
// or test, a different digest) is 1.
func outcome(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pipeline.ErrCannot):
		return &exitError{code: ExitCannot, err: err}
	}
	return problems(err)
}

// silent is an exit-1 outcome whose details were already printed.
var errSilent = errors.New("")

func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Cobra's own errors (unknown flag, wrong arg count) are usage errors.
	return ExitCannot
}
