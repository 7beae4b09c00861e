package initd

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Folders of the service contract with snap: one file per daemon, its
// first command line; init writes each running daemon's pid beside it.
const (
	ServicesDir = "/etc/labsim/services.d"
	PidDir      = "/run/labsim/services"
)

// ReadServices lists the daemons in dir: file name -> argv.
func ReadServices(dir string) map[string][]string {
	out := map[string][]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			out[e.Name()] = strings.Fields(line)
			break
		}
	}
	return out
}

// supervisor keeps daemons running: one loop per daemon restarts it when
// it exits, until it is stopped.
type supervisor struct {
	procs   *procs
	backoff time.Duration
	mu      sync.Mutex
	running map[string]*daemon
}

type daemon struct {
	argv []string
	stop chan struct{}
	mu   sync.Mutex
	pid  int
}

func (s *supervisor) add(name string, argv []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.running[name]; ok {
		if strings.Join(d.argv, " ") == strings.Join(argv, " ") {
			return
		}
		s.stopLocked(name)
	}
	d := &daemon{argv: argv, stop: make(chan struct{})}
	s.running[name] = d
	go s.loop(name, d)
}

func (s *supervisor) stopLocked(name string) {
	d := s.running[name]
	close(d.stop)
	d.mu.Lock()
	if d.pid > 1 {
		_ = unix.Kill(d.pid, unix.SIGTERM)
	}
	d.mu.Unlock()
	delete(s.running, name)
}

// sync makes the running set match the services folder.
func (s *supervisor) sync(want map[string][]string) {
	for name, argv := range want {
		s.add(name, argv)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.running {
		if _, ok := want[name]; !ok && name != "sshd" {
			s.stopLocked(name)
		}
	}
}

// stopAll stops every daemon; the caller then kills what is left.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.running {
		s.stopLocked(name)
	}
}

func (s *supervisor) loop(name string, d *daemon) {
	pidFile := filepath.Join(PidDir, name+".pid")
	for {
		select {
		case <-d.stop:
			return
		default:
		}
		pid, done, err := s.procs.start(d.argv)
		if errors.Is(err, os.ErrNotExist) {
			logf("not starting %s: %v", name, err)
			return
		}
		if err != nil {
			logf("starting %s: %v", name, err)
		} else {
			d.mu.Lock()
			d.pid = pid
			d.mu.Unlock()
			_ = os.MkdirAll(PidDir, 0o755)
			_ = os.WriteFile(pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o644)
			select {
			case <-done:
			case <-d.stop:
				if pid > 1 {
					_ = unix.Kill(pid, unix.SIGTERM)
				}
				return
			}
		}
		select {
		case <-d.stop:
			return
		case <-time.After(s.backoff):
		}
	}
}
