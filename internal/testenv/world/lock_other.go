//go:build !unix

package world

import (
	"errors"
	"time"
)

func lock(string, time.Duration, func(string, ...any)) (func(), error) {
	return nil, errors.New("the test world needs a Unix system")
}
