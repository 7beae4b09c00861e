// Package vbox is lab's VirtualBox driver: it runs VBoxManage through an
// injected runner (argv only) and reads its output with pure parsers.
package vbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/runner"
)

// Options configure a Driver.
type Options struct {
	Runner runner.Runner // required
	// Path is VBoxManage; "" finds it with Locator.
	Path    string
	Locator *Locator // nil means the real host
	// Warn receives VBoxManage warnings (stderr "warning:" lines) that did
	// not fail the call; nil drops them.
	Warn func(msg string)
	// Poll is how often Stop reads the VM state; default 500ms.
	Poll time.Duration
	// Parallel caps how many VMs Inspect reads at once (two calls each);
	// default 16, so a lab of up to 16 nodes is read in one round.
	Parallel int
	// Lab is the lab name, needed to name NAT and internal networks
	// ("<lab>-<net>"); Inspect and Create set it when empty.
	Lab string
}

// Driver is the VirtualBox driver. It is safe for concurrent use.
type Driver struct {
	run      runner.Runner
	bin      string
	ver      version
	spell    spelling
	warn     func(string)
	poll     time.Duration
	parallel int
	host     Locator // also says where Vagrant boxes are
	goarch   string

	mu  sync.Mutex
	lab string
}

var _ drivers.Driver = (*Driver)(nil)

// New finds VBoxManage, reads its version and picks the option spellings.
func New(ctx context.Context, o Options) (*Driver, error) {
	if o.Runner == nil {
		return nil, errors.New("vbox driver needs a runner")
	}
	d := &Driver{run: o.Runner, bin: o.Path, warn: o.Warn, poll: o.Poll,
		parallel: o.Parallel, lab: o.Lab, host: HostLocator(), goarch: runtime.GOARCH}
	if o.Locator != nil {
		d.host = *o.Locator
	}
	if d.bin == "" {
		p, err := d.host.Find()
		if err != nil {
			return nil, err
		}
		d.bin = p
	}
	if err := d.readVersion(ctx); err != nil {
		return nil, err
	}
	if d.poll <= 0 {
		d.poll = 500 * time.Millisecond
	}
	if d.parallel <= 0 {
		d.parallel = 16
	}
	return d, nil
}

func (d *Driver) readVersion(ctx context.Context) error {
	res, err := d.run.Run(ctx, []string{d.bin, "--version"})
	if err != nil {
		return fmt.Errorf("reading the VirtualBox version: %w", err)
	}
	v, err := parseVersion(res.Stdout + "\n" + res.Stderr)
	if err != nil {
		return err
	}
	if !v.atLeast(6, 1) {
		return fmt.Errorf("VirtualBox %s is too old: lab needs 6.1 or newer", v)
	}
	d.ver, d.spell = v, spellingFor(v)
	return nil
}

// Version is the VirtualBox version found, e.g. "7.0.14".
func (d *Driver) Version() string { return d.ver.String() }

// Name is the driver's name in Labfiles.
func (d *Driver) Name() string { return "virtualbox" }

// Capabilities: hardware changes need the VM off; forwards change live.
func (d *Driver) Capabilities() drivers.Capabilities {
	return drivers.Capabilities{CPUs: drivers.NeedsStop, Memory: drivers.NeedsStop,
		NICs: drivers.NeedsStop, Forwards: drivers.LiveChange, Disk: drivers.Replace, MaxNICs: 8}
}

// call runs VBoxManage with args and fails on a non-zero exit or on any
// "error:" line on stderr, even after exit 0. Warnings go to Warn.
func (d *Driver) call(ctx context.Context, args ...string) (string, error) {
	argv := append([]string{d.bin}, args...)
	res, err := d.run.Run(ctx, argv)
	errs, warns := scanStderr(res.Stderr)
	for _, w := range warns {
		if d.warn != nil {
			d.warn(w)
		}
	}
	if err == nil && len(errs) == 0 {
		return res.Stdout, nil
	}
	re := runner.AsError(err)
	if re == nil {
		re = &runner.Error{Argv: argv, ExitCode: res.ExitCode, Stdout: res.Stdout,
			Stderr: res.Stderr, Err: err}
	}
	if len(errs) > 0 {
		re.Err = errors.New(strings.Join(errs, "; "))
	}
	return res.Stdout, re
}

// scanStderr collects the text of "VBoxManage: error:" and "warning:"
// lines (also "VBoxManage.exe:"). Details and Context lines of COM errors
// are left out of the message; they stay in the runner error's Stderr.
func scanStderr(stderr string) (errs, warns []string) {
	for _, l := range lines(stderr) {
		l = strings.TrimSpace(l)
		_, rest, ok := strings.Cut(l, ": ")
		if !ok || !isToolPrefix(l) {
			continue
		}
		if msg, ok := strings.CutPrefix(rest, "error: "); ok {
			if !strings.HasPrefix(msg, "Details: ") && !strings.HasPrefix(msg, "Context: ") {
				errs = append(errs, msg)
			}
		} else if msg, ok := strings.CutPrefix(rest, "warning: "); ok {
			warns = append(warns, msg)
		}
	}
	return errs, warns
}

func isToolPrefix(l string) bool {
	return strings.HasPrefix(l, "VBoxManage: ") || strings.HasPrefix(l, "VBoxManage.exe: ")
}

// isNotFound reports whether err is VirtualBox's "no such VM" error.
func isNotFound(err error) bool {
	re := runner.AsError(err)
	return re != nil && strings.Contains(re.Stderr, "VBOX_E_OBJECT_NOT_FOUND")
}

// labName returns the lab the driver works for.
func (d *Driver) labName() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lab == "" {
		return "", errors.New("vbox driver does not know the lab name yet (Inspect first)")
	}
	return d.lab, nil
}

func (d *Driver) setLab(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lab = name
}
