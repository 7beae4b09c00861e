package vboxstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Store is the on-disk world under <home>/vbox. Reads take a shared lock and
// changes an exclusive one, so concurrent VBoxManage calls stay consistent;
// the world file is replaced atomically.
type Store struct {
	dir string
}

// Open returns the store under home ($LAB_SIM_HOME), creating its folder.
func Open(home string) (*Store, error) {
	if home == "" {
		return nil, errors.New("LAB_SIM_HOME is not set")
	}
	dir := filepath.Join(home, "vbox")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating simulator state folder: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's folder, <home>/vbox.
func (s *Store) Dir() string { return s.dir }

// View calls fn with the current world under a shared lock.
func (s *Store) View(fn func(w *World) error) error {
	unlock, err := s.lock(unix.LOCK_SH)
	if err != nil {
		return err
	}
	defer unlock()
	w, err := s.load()
	if err != nil {
		return err
	}
	return fn(w)
}

// Update calls fn with the world under an exclusive lock and saves it when
// fn returns nil. When fn fails nothing is saved.
func (s *Store) Update(fn func(w *World) error) error {
	unlock, err := s.lock(unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	w, err := s.load()
	if err != nil {
		return err
	}
	if err := fn(w); err != nil {
		return err
	}
	return s.save(w)
}

func (s *Store) lock(how int) (func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening simulator lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking simulator state: %w", err)
	}
	return func() { f.Close() }, nil
}

func (s *Store) load() (*World, error) {
	w := &World{}
	data, err := os.ReadFile(filepath.Join(s.dir, "world.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return w, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading simulator state: %w", err)
	}
	if err := json.Unmarshal(data, w); err != nil {
		return nil, fmt.Errorf("decoding simulator state: %w", err)
	}
	return w, nil
}

func (s *Store) save(w *World) error {
	data, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding simulator state: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, "world-*.json")
	if err != nil {
		return fmt.Errorf("writing simulator state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing simulator state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing simulator state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, "world.json")); err != nil {
		return fmt.Errorf("replacing simulator state: %w", err)
	}
	return nil
}

// Machine finds a machine by name or UUID (braces allowed), or nil.
func (w *World) Machine(nameOrUUID string) *Machine {
	id := strings.Trim(nameOrUUID, "{}")
	for _, m := range w.Machines {
		if m.UUID == id {
			return m
		}
	}
	for _, m := range w.Machines {
		if m.Name == nameOrUUID {
			return m
		}
	}
	return nil
}
