// Package sys holds what every simulated guest command shares: the file
// system root it works under, its standard streams, the time scale, an exec
// seam, and helpers for users, groups, hosts and the guest's addresses.
package sys

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Runner runs a command and returns its standard output. A failure carries
// the command's standard error text.
type Runner func(argv ...string) (string, error)

// Env is the world a guest command runs in. In a guest Root is "/" and Live
// is true; tests point Root at a temporary directory and fake Run.
type Env struct {
	Root   string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Run    Runner
	Now    func() time.Time
	// Live allows kernel side effects: sethostname, signals, setuid.
	Live bool
}

// NewLive returns the Env of a command running inside a guest.
func NewLive() *Env {
	return &Env{
		Root: "/", Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Run: ExecRunner, Now: time.Now, Live: true,
	}
}

// ExecRunner runs argv with os/exec and returns its standard output.
func ExecRunner(argv ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	// An explicit empty stdin: a guest root need not have /dev/null.
	cmd.Stdin = strings.NewReader("")
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.String(), &RunError{Argv: argv, Stderr: msg, Err: err}
	}
	return out.String(), nil
}

// RunError is a failed command: its argv, its standard error and the cause.
type RunError struct {
	Argv   []string
	Stderr string
	Err    error
}

func (e *RunError) Error() string {
	return fmt.Sprintf("%s: %s", strings.Join(e.Argv, " "), e.Stderr)
}

func (e *RunError) Unwrap() error { return e.Err }

// IsRunError reports whether err came from a command that ran and failed.
func IsRunError(err error) bool {
	var re *RunError
	return errors.As(err, &re)
}

// Path maps an absolute guest path to the host path under Root.
func (e *Env) Path(p string) string {
	if e.Root == "" || e.Root == "/" {
		return p
	}
	return filepath.Join(e.Root, p)
}

// ScaleFile keeps init's LAB_SIM_TIME_SCALE for commands started over SSH,
// whose environment sshd has reset.
const ScaleFile = "/run/labsim/time-scale"

// Scale is LAB_SIM_TIME_SCALE (else ScaleFile), 1 when unset or invalid.
func (e *Env) Scale() float64 {
	v := ""
	if e.Getenv != nil {
		v = e.Getenv("LAB_SIM_TIME_SCALE")
	}
	if v == "" {
		data, _ := e.ReadFile(ScaleFile)
		v = strings.TrimSpace(string(data))
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 1
	}
	return f
}

// Scaled returns d multiplied by the time scale.
func (e *Env) Scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * e.Scale())
}

// Sleep waits for d scaled.
func (e *Env) Sleep(d time.Duration) {
	time.Sleep(e.Scaled(d))
}

// Clock returns the current time.
func (e *Env) Clock() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// ReadFile reads a guest file.
func (e *Env) ReadFile(p string) ([]byte, error) {
	return os.ReadFile(e.Path(p))
}

// WriteFile writes a guest file atomically with the given mode, creating
// its parent directories.
func (e *Env) WriteFile(p string, data []byte, mode os.FileMode) error {
	hp := e.Path(p)
	if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
		return fmt.Errorf("creating the folder of %s: %w", p, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(hp), ".tmp-"+filepath.Base(hp))
	if err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("setting the mode of %s: %w", p, err)
	}
	// A replaced file keeps its owner (/etc/shadow stays root:shadow).
	if st, err := os.Stat(hp); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			_ = tmp.Chown(int(sys.Uid), int(sys.Gid))
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := os.Rename(tmp.Name(), hp); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}

// Exists reports whether a guest path exists.
func (e *Env) Exists(p string) bool {
	_, err := os.Stat(e.Path(p))
	return err == nil
}

// Printf writes to standard output.
func (e *Env) Printf(format string, a ...any) {
	fmt.Fprintf(e.Stdout, format, a...)
}

// Errorf writes to standard error.
func (e *Env) Errorf(format string, a ...any) {
	fmt.Fprintf(e.Stderr, format, a...)
}
