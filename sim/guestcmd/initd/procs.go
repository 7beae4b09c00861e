// Package initd is the guest's PID 1: it boots (cloud-init, host keys,
// sshd), supervises sshd and the daemons installed snaps register, reaps
// orphans, and stops the guest on busybox's signals.
package initd

import (
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// procs starts children and hands each one's exit status to whoever waits
// for it. PID 1 reaps every orphan too, so nothing in it may call Wait on
// its own: the reaper owns wait4.
type procs struct {
	mu      sync.Mutex
	waiters map[int]chan unix.WaitStatus
	attr    *os.ProcAttr
}

func newProcs(env []string) *procs {
	return &procs{waiters: map[int]chan unix.WaitStatus{},
		attr: &os.ProcAttr{Env: env, Dir: "/",
			Files: []*os.File{emptyStdin(), os.Stdout, os.Stderr}}}
}

// emptyStdin is /dev/null, or the read end of a closed pipe when the root
// has no /dev: a Go child refuses to start with descriptor 0 closed.
func emptyStdin() *os.File {
	if f, err := os.Open("/dev/null"); err == nil {
		return f
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil
	}
	w.Close()
	return r
}

// start runs argv and returns its pid and a channel that gets its status.
func (p *procs) start(argv []string) (int, <-chan unix.WaitStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	proc, err := os.StartProcess(argv[0], argv, p.attr)
	if err != nil {
		return 0, nil, err
	}
	pid := proc.Pid
	ch := make(chan unix.WaitStatus, 1)
	p.waiters[pid] = ch
	// Release only the handle (it resets proc.Pid): the reaper collects the status.
	_ = proc.Release()
	return pid, ch, nil
}

// run starts argv and waits for it.
func (p *procs) run(argv []string) (unix.WaitStatus, error) {
	_, ch, err := p.start(argv)
	if err != nil {
		return 0, err
	}
	return <-ch, nil
}

// reap collects every exited child and reports the ones someone waits for.
// It returns false once there are no children left.
func (p *procs) reap() bool {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false
		}
		if pid <= 0 {
			return true
		}
		p.mu.Lock()
		ch, ok := p.waiters[pid]
		delete(p.waiters, pid)
		p.mu.Unlock()
		if ok {
			ch <- ws
		}
	}
}
