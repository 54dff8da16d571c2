package pipeline

import (
	"errors"
	"fmt"
)

// ErrCannot is wrapped by every error after which the work could not be done
// at all: bad options, a builder or Docker engine that does not answer, a
// base image that must be supplied. Callers map it to exit status 2, and
// every other error to 1 (the work ran and found a problem).
var ErrCannot = errors.New("the work could not be done")

// cannotError marks err with ErrCannot without changing its message.
type cannotError struct{ err error }

func (e *cannotError) Error() string        { return e.err.Error() }
func (e *cannotError) Unwrap() error        { return e.err }
func (e *cannotError) Is(target error) bool { return target == ErrCannot }

// cannot formats an error marked with ErrCannot.
func cannot(format string, args ...any) error {
	return &cannotError{err: fmt.Errorf(format, args...)}
}

// markCannot marks err with ErrCannot; nil stays nil.
func markCannot(err error) error {
	if err == nil || errors.Is(err, ErrCannot) {
		return err
	}
	return &cannotError{err: err}
}
