package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Target is where a node's SSH server is reached.
type Target struct {
	Node   string // node name, for pins and messages
	VMUUID string // the VM's UUID; host keys are pinned per node and UUID
	User   string
	Host   string
	Port   int
}

// Addr returns host:port.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// keepaliveEvery is how often an idle connection is probed, so a NAT or
// a dead guest shows up as an error instead of a hang.
const keepaliveEvery = 15 * time.Second

// Client is one SSH connection to a node; it implements Guest.
type Client struct {
	target Target
	ssh    *ssh.Client

	mu   sync.Mutex
	sftp *sftp.Client

	stop chan struct{}
	once sync.Once
}

// Dial connects to the node, retrying with a short backoff while the guest
// boots (refused, reset, EOF, handshake or authentication failures) until
// the budget runs out. A changed host key fails at once.
func Dial(ctx context.Context, t Target, key *Key, kh *KnownHosts,
	budget time.Duration) (*Client, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var seen ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(key.Signer())},
		HostKeyCallback:   kh.Callback(t.Node, t.VMUUID, &seen),
		HostKeyAlgorithms: kh.HostKeyAlgorithms(t.Node, t.VMUUID),
		Timeout:           10 * time.Second,
	}
	wait := 200 * time.Millisecond
	var refusedSince time.Time
	for {
		c, err := dialOnce(ctx, t, cfg)
		if err == nil {
			if err := kh.Pin(t.Node, t.VMUUID, seen); err != nil {
				c.Close()
				return nil, fmt.Errorf("connecting to node %s at %s: %w", t.Node, t.Addr(), err)
			}
			return c, nil
		}
		var changed *HostKeyChangedError
		if errors.As(err, &changed) {
			return nil, fmt.Errorf("connecting to node %s at %s: %w", t.Node, t.Addr(), err)
		}
		// While a guest boots its key may not be installed yet; a key still
		// refused long after sshd answers will not be accepted.
		if strings.Contains(err.Error(), "unable to authenticate") {
			if refusedSince.IsZero() {
				refusedSince = time.Now()
			} else if time.Since(refusedSince) > authBudget {
				return nil, fmt.Errorf("node %s at %s refuses lab's key %s (%v): was the VM "+
					"made from another copy of this lab's .lab/ folder, or does another "+
					"program hold port %d?", t.Node, t.Addr(), key.Path(), err, t.Port)
			}
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return nil, fmt.Errorf("connecting to node %s at %s: %w (last error: %v)",
					t.Node, t.Addr(), parent.Err(), err)
			}
			return nil, fmt.Errorf("node %s: no SSH at %s within %s (last error: %v); "+
				"is the VM running? see `lab status`", t.Node, t.Addr(), budget, err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// authBudget is how long a guest may refuse lab's key after its SSH server
// first answers: enough for cloud-init to install the key at first boot.
var authBudget = 60 * time.Second

func dialOnce(ctx context.Context, t Target, cfg *ssh.ClientConfig) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.Addr())
	if err != nil {
		return nil, err
	}
	// The handshake honours no context: bound it with a deadline instead.
	deadline := time.Now().Add(cfg.Timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	sc, chans, reqs, err := ssh.NewClientConn(conn, t.Addr(), cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	c := &Client{target: t, ssh: ssh.NewClient(sc, chans, reqs), stop: make(chan struct{})}
	go c.keepalive()
	return c, nil
}

func (c *Client) keepalive() {
	tick := time.NewTicker(keepaliveEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			if !c.probe() {
				// A dead peer: closing makes every pending call fail now.
				c.ssh.Close()
				return
			}
		}
	}
}

// probe sends one keepalive request and reports whether the guest answered
// within keepaliveEvery.
func (c *Client) probe() bool {
	answered := make(chan error, 1)
	go func() {
		_, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil)
		answered <- err
	}()
	select {
	case err := <-answered:
		return err == nil
	case <-time.After(keepaliveEvery):
		return false
	case <-c.stop:
		return true
	}
}

// Target returns where the client is connected.
func (c *Client) Target() Target { return c.target }

// SSH returns the underlying connection, for callers needing a PTY session.
func (c *Client) SSH() *ssh.Client { return c.ssh }

// Run runs cmd in a new session and returns its exit code. Cancelling ctx
// makes Run return at once: it asks sshd to kill the command and closes
// the session (OpenSSH may let a command without a PTY run on).
// Nothing is written to stdout or stderr after Run returns.
func (c *Client) Run(ctx context.Context, cmd string, stdin io.Reader,
	stdout, stderr io.Writer) (int, error) {
	s, err := c.ssh.NewSession()
	if err != nil {
		return -1, fmt.Errorf("node %s: opening ssh session: %w", c.target.Node, err)
	}
	defer s.Close()
	s.Stdin = stdin
	// The two streams are copied from separate goroutines, and callers
	// often pass one writer for both: serialise the writes.
	g := &outGate{}
	defer g.shut()
	if stdout != nil {
		s.Stdout = &lockedWriter{gate: g, w: stdout}
	}
	if stderr != nil {
		s.Stderr = &lockedWriter{gate: g, w: stderr}
	}
	if err := s.Start(cmd); err != nil {
		return -1, fmt.Errorf("node %s: running %q: %w", c.target.Node, cmd, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// sshd keeps the channel open until the command ends, so do not
		// wait for it: ask for a kill and close our side.
		_ = s.Signal(ssh.SIGKILL)
		s.Close()
		return -1, fmt.Errorf("node %s: running %q: %w", c.target.Node, cmd, ctx.Err())
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		if exit.Signal() != "" {
			return 128 + signalNumber(exit.Signal()), nil
		}
		return exit.ExitStatus(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("node %s: running %q: %w", c.target.Node, cmd, err)
	}
	return 0, nil
}

// outGate serialises a session's output writers and shuts them when Run
// returns, so a cancelled command's late output goes nowhere.
type outGate struct {
	mu     sync.Mutex
	closed bool
}

func (g *outGate) shut() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// lockedWriter writes to w through its gate.
type lockedWriter struct {
	gate *outGate
	w    io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.gate.mu.Lock()
	defer l.gate.mu.Unlock()
	if l.gate.closed {
		return len(p), nil
	}
	return l.w.Write(p)
}

// signalNumber maps the common signal names to Linux numbers, for the
// shell's 128+N exit code convention.
func signalNumber(name string) int {
	switch ssh.Signal(name) {
	case ssh.SIGHUP:
		return 1
	case ssh.SIGINT:
		return 2
	case ssh.SIGQUIT:
		return 3
	case ssh.SIGKILL:
		return 9
	case ssh.SIGSEGV:
		return 11
	case ssh.SIGPIPE:
		return 13
	case ssh.SIGALRM:
		return 14
	default:
		return 15
	}
}

// SFTP returns the connection's SFTP client, opening it on first use.
func (c *Client) SFTP() (*sftp.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sftp != nil {
		return c.sftp, nil
	}
	// Concurrent writes keep several packets in flight, as scp streams:
	// a failed upload fails its step, whose next run rewrites the file.
	sc, err := sftp.NewClient(c.ssh, sftp.UseConcurrentWrites(true))
	if err != nil {
		return nil, fmt.Errorf("node %s: starting sftp: %w", c.target.Node, err)
	}
	c.sftp = sc
	return sc, nil
}

// Close ends the SFTP session, if any, and the connection.
func (c *Client) Close() error {
	c.once.Do(func() { close(c.stop) })
	c.mu.Lock()
	if c.sftp != nil {
		c.sftp.Close()
		c.sftp = nil
	}
	c.mu.Unlock()
	return c.ssh.Close()
}

var _ Guest = (*Client)(nil)

// fileMode keeps the permission bits of a local mode for the guest.
func fileMode(m os.FileMode) os.FileMode { return m & os.ModePerm }
