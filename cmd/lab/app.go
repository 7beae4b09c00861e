package main

import (
	"context"
	"io"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/labdir"
	"github.com/labtool/lab/internal/spec"
)

// Guests is everything lab does inside guests: apply's work, the digests
// the planner compares, and exec/ssh for the commands of those names.
type Guests interface {
	apply.Guests
	apply.Digester
	// Exec runs a shell command line on the node and returns its exit code.
	Exec(ctx context.Context, n *spec.Node, vm string, port int, cmd string,
		stdio Stdio) (int, error)
	// Shell opens an interactive login shell on the node.
	Shell(ctx context.Context, n *spec.Node, vm string, port int, stdio Stdio) (int, error)
	Close() error
}

// Stdio is a command's standard streams.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
}

// Host is what the CLI takes from the machine it runs on; main fills it
// from the real host, tests with fakes.
type Host struct {
	Stdio
	Getenv  func(string) string
	Environ []string
	// InTTY, OutTTY and ErrTTY say whether stdin, stdout and stderr are
	// terminals.
	InTTY, OutTTY, ErrTTY bool
	GOOS                  string
	Root                  bool
	// Bindable reports whether 127.0.0.1:port can be listened on.
	Bindable func(port int) bool
	// Driver makes the hypervisor driver for a lab (once per run).
	Driver func(ctx context.Context, lab *spec.Lab) (drivers.Driver, error)
	// Guests makes the guest side for a lab, keys and pins under dir.
	Guests func(lab *spec.Lab, labID string, dir *labdir.Dir, d drivers.Driver) (Guests, error)
	// Interrupts returns a channel closed on the first interrupt, and a
	// context cancelled on the second.
	Interrupts func(ctx context.Context) (context.Context, <-chan struct{}, func())
	Version    string
}
