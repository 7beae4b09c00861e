package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/term"
)

// interactive runs a login shell over an SSH connection. When stdin is a
// terminal it is put in raw mode and the guest gets a PTY of its size.
func interactive(c *ssh.Client, stdio Stdio) (int, error) {
	sess, err := c.NewSession()
	if err != nil {
		return 0, fmt.Errorf("opening a session: %w", err)
	}
	defer sess.Close()
	if f, ok := stdio.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		restore, err := rawPTY(sess, int(f.Fd()))
		if err != nil {
			return 0, err
		}
		defer restore()
	}
	sess.Stdin, sess.Stdout, sess.Stderr = stdio.In, stdio.Out, stdio.Err
	if err := sess.Shell(); err != nil {
		return 0, fmt.Errorf("starting the shell: %w", err)
	}
	return exitStatus(sess.Wait())
}

// rawPTY asks for a PTY the size of the local terminal and puts the local
// terminal in raw mode; the returned function restores it.
func rawPTY(sess *ssh.Session, fd int) (func(), error) {
	w, h, err := term.GetSize(fd)
	if err != nil {
		w, h = 80, 24
	}
	name := os.Getenv("TERM")
	if name == "" {
		name = "xterm-256color"
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if err := sess.RequestPty(name, h, w, modes); err != nil {
		return nil, fmt.Errorf("asking for a terminal: %w", err)
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("raw mode: %w", err)
	}
	return func() { term.Restore(fd, old) }, nil
}

// exitStatus turns a session's end into an exit code.
func exitStatus(err error) (int, error) {
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		return ee.ExitStatus(), nil
	}
	return 0, err
}
