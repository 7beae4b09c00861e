// Command lab makes a VM lab a file in git: it plans a Labfile against the
// live hypervisor and applies exactly that plan.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"golang.org/x/term"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/drivers/vbox"
	"github.com/labtool/lab/internal/runner"
	"github.com/labtool/lab/internal/spec"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	os.Exit(run(context.Background(), realHost(), os.Args[1:]))
}

// realHost is this machine: its streams, terminal, environment, root-ness
// and VirtualBox.
func realHost() Host {
	tty := func(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
	return Host{
		Stdio:      Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr},
		Getenv:     os.Getenv,
		Environ:    os.Environ(),
		InTTY:      tty(os.Stdin),
		OutTTY:     tty(os.Stdout),
		ErrTTY:     tty(os.Stderr),
		GOOS:       runtime.GOOS,
		Root:       os.Geteuid() == 0,
		Bindable:   apply.Bindable,
		Driver:     newDriver,
		Guests:     newGuests,
		Interrupts: interrupts,
		Version:    version,
	}
}

// newDriver makes the lab's hypervisor driver: VirtualBox as found on this
// host, never anything else in its place.
func newDriver(ctx context.Context, lab *spec.Lab) (drivers.Driver, error) {
	if lab.Driver != "" && lab.Driver != "virtualbox" {
		return nil, fmt.Errorf("driver %q is not available in this version of lab; "+
			"use driver = \"virtualbox\"", lab.Driver)
	}
	// One driver makes every VM: a node asking for another would quietly
	// become a VirtualBox VM.
	for _, n := range lab.Nodes {
		if n.Driver != "" && n.Driver != lab.Driver {
			return nil, fmt.Errorf("node %q: driver %q is not available in this version of "+
				"lab, which runs every node of a lab on %s; drop the node's driver", n.Name,
				n.Driver, lab.Driver)
		}
	}
	d, err := vbox.New(ctx, vbox.Options{Runner: runner.Exec{}, Lab: lab.Name,
		Warn: func(msg string) { fmt.Fprintf(os.Stderr, "VirtualBox: %s\n", msg) }})
	if err != nil {
		return nil, fmt.Errorf("setting up VirtualBox: %w", err)
	}
	return d, nil
}

// interrupts turns the first Ctrl-C (or SIGTERM) into "stop starting new
// actions" and the second into cancelling the calls in flight.
func interrupts(ctx context.Context) (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stopping := make(chan struct{})
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sig:
		case <-ctx.Done():
			return
		}
		fmt.Fprintln(os.Stderr, "lab: interrupted: letting the calls in flight finish, "+
			"starting nothing new (interrupt again to stop them)")
		close(stopping)
		select {
		case <-sig:
			fmt.Fprintln(os.Stderr, "lab: interrupted again: stopping the calls in flight")
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, stopping, func() { signal.Stop(sig); cancel() }
}
