package labdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// LockedError says another lab run holds the lock.
type LockedError struct {
	PID  int
	Path string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another lab run (pid %d) holds %s; wait for it to finish", e.PID, e.Path)
}

// Lock takes .lab/lock for this process, so two runs never act on one lab
// at once. A lock left by a process that no longer runs is taken over. The
// returned function releases it.
func (d *Dir) Lock() (release func(), err error) {
	path := d.File("lock")
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			_, werr := fmt.Fprintf(f, "%d\n", os.Getpid())
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("writing lock: %w", werr)
			}
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking lock: %w", err)
		}
		pid := holder(path)
		if pid > 0 && alive(pid) {
			return nil, &LockedError{PID: pid, Path: path}
		}
		// The holder is gone (or never wrote its pid): the lock is stale.
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing stale lock: %w", err)
		}
	}
	return nil, fmt.Errorf("taking lock %s: another run keeps taking it", path)
}

// holder reads the pid in a lock file, 0 when unreadable.
func holder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
