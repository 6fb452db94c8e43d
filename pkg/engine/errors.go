package engine

import (
	"errors"
	"fmt"
)

// InputError marks an error caused by the user's input: a config value, a
// data file, a checkpoint or a run folder. The command line exits with
// status 2 for these and 1 for other failures.
type InputError struct{ Err error }

// Error returns the wrapped error's message.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *InputError) Unwrap() error { return e.Err }

// InputErrorf returns an *InputError with a formatted message (%w allowed).
func InputErrorf(format string, a ...any) error {
	return &InputError{Err: fmt.Errorf(format, a...)}
}

// IsInputError reports whether err is, or wraps, an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
