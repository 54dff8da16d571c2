package builder

import "fmt"

// The layout store answers BuildKit in containerd's error classes: BuildKit
// tells a missing blob from a broken one by class, not by message. The
// classes are defined by interface (an error with a NotFound method is a
// not-found error, and so on), which is how containerd's errdefs package
// recognises them too, so the store speaks them without importing it: the
// one importer of errdefs is the docker package.

// errClass is one of containerd's error classes.
type errClass int

const (
	classNotFound errClass = iota
	classAlreadyExists
	classInvalidArgument
	classUnavailable
	classNotImplemented
	classFailedPrecondition
)

// classError is an error of a class; Is makes errors.Is(err, errdefs.ErrX)
// hold for the class's sentinel, whose type carries the same method.
type classError struct {
	class errClass
	msg   string
}

func (e *classError) Error() string { return e.msg }

func (e *classError) Is(target error) bool {
	switch target.(type) {
	case interface{ NotFound() }:
		return e.class == classNotFound
	case interface{ AlreadyExists() }:
		return e.class == classAlreadyExists
	case interface{ InvalidParameter() }:
		return e.class == classInvalidArgument
	case interface{ Unavailable() }:
		return e.class == classUnavailable
	case interface{ NotImplemented() }:
		return e.class == classNotImplemented
	case interface{ FailedPrecondition() }:
		return e.class == classFailedPrecondition
	}
	return false
}

func storeErr(class errClass, format string, args ...any) error {
	return &classError{class: class, msg: fmt.Sprintf(format, args...)}
}
