package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/ccf-ai-infra/macabox/internal/builder"
)

// lockCells locks (or checks) every cell of a matrix, each a target of its
// own with its lock beside the matrix. A cell that fails is reported on
// o.Err and the others go on; only work that cannot be done stops them.
func lockCells(ctx context.Context, o LockOptions, b **builder.Builder, tg *Target, cells []string) ([]LockResult, error) {
	var results []LockResult
	var failed []error
	for _, cell := range cells {
		r, err := lockTarget(ctx, o, b, cellTarget(tg, cell))
		switch {
		case err == nil:
			results = append(results, r)
		case errors.Is(err, ErrCannot) || ctx.Err() != nil:
			return results, err
		default:
			fmt.Fprintf(o.Err, "%s: %v\n", cell, err)
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return results, matrixLockError(tg.Name, len(failed), len(cells), failed)
	}
	return results, nil
}

// matrixLockError says how many cells of a matrix failed to lock; it is
// stale (ErrStale) when every failure was a stale lock.
func matrixLockError(matrix string, failed, total int, errs []error) error {
	for _, err := range errs {
		if !errors.Is(err, ErrStale) {
			return fmt.Errorf("%d of %d cells of %s could not be locked", failed, total, matrix)
		}
	}
	return fmt.Errorf("%w: %d of %d cells of %s", ErrStale, failed, total, matrix)
}
