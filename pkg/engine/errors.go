package engine

import (
	"errors"
	"fmt"

	"github.com/nettrain/nettrain/pkg/data"
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

// ReadError returns the first read error of the data sets, as an
// *InputError, or nil. Only a streamed image folder can fail to read (a
// file whose pixels do not decode, see data.OpenImageFolderStream); its
// readers check this after reading. A nil data set is skipped.
func ReadError(ds ...*data.Dataset) error {
	for _, d := range ds {
		if d == nil {
			continue
		}
		if err := d.Err(); err != nil {
			return &InputError{Err: err}
		}
	}
	return nil
}

// IsInputError reports whether err is, or wraps, an *InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
