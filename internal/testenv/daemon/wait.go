package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"
)

var (
	// ErrExited: the daemon ended before it answered.
	ErrExited = errors.New("exited while starting")
	// ErrTimeout: the daemon kept running but never answered.
	ErrTimeout = errors.New("did not answer in time")
)

// pollInterval is short next to any daemon's start-up, long enough not to
// load a 2-core machine with probes.
const pollInterval = 300 * time.Millisecond

// WaitReady polls ready until it succeeds, alive reports an error, timeout
// passes or ctx ends. The error wraps ErrExited or ErrTimeout, with the
// last probe's answer, so a caller can say which and why.
func WaitReady(ctx context.Context, timeout time.Duration, alive func() error, ready func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		if dead := alive(); dead != nil {
			return fmt.Errorf("%w: %v", ErrExited, dead)
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("%w (%v; last answer: %v)", ErrTimeout, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}
