package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/labtool/lab/internal/labfile"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan --detailed-exitcode: there are changes
)

// exitErr ends a command with a given code; a nil err prints nothing.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitErr) Unwrap() error { return e.err }

// exitCode is the one place that turns a command's error into what is
// printed on stderr and the process exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	code := exitError
	var ee *exitErr
	if errors.As(err, &ee) {
		code, err = ee.code, ee.err
	}
	report(err, stderr)
	return code
}

// report prints an error: Labfile diagnostics with their source lines,
// joined errors one by one, anything else on one "lab: " line.
func report(err error, stderr io.Writer) {
	if err == nil {
		return
	}
	var diags labfile.Diagnostics
	if errors.As(err, &diags) {
		diags.Write(stderr, nil)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			report(e, stderr)
		}
		return
	}
	fmt.Fprintf(stderr, "lab: %v\n", err)
}

// redactor writes error text with the Labfile's sensitive values masked: a
// last guard for errors that quote what lab sent to a guest.
type redactor struct {
	w io.Writer
	a *app
}

func (r *redactor) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, labfile.Redact(string(p), r.a.sensitive)); err != nil {
		return 0, err
	}
	return len(p), nil
}
