// Package runner is lab's one seam for running external tools: argv only,
// never a shell, with errors that keep the command line (pasteable into a
// shell), the captured output and the cause.
package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Result is what a finished command printed and how it exited.
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Runner runs one command given as argv (argv[0] is the program).
// Implementations return a *Error when the command could not start or
// exited non-zero; the Result is filled as far as it is known.
type Runner interface {
	Run(ctx context.Context, argv []string) (Result, error)
}

// Error is a failed command: what ran, how it ended and what it printed.
type Error struct {
	Argv     []string
	ExitCode int // -1 when the command did not start or was killed
	Stdout   string
	Stderr   string
	Err      error // the cause
}

// Error renders the command so it can be pasted into a shell, then the
// exit status and the cause.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "running %s", CommandLine(e.Argv))
	if e.ExitCode > 0 {
		fmt.Fprintf(&b, ": exit status %d", e.ExitCode)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// AsError returns the *Error inside err, or nil.
func AsError(err error) *Error {
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	return nil
}
