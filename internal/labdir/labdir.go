// Package labdir manages the .lab/ folder beside a Labfile: the lab id, the
// run lock, seeds and logs. Everything in it is git-ignored.
package labdir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Name is the folder's name beside the Labfile.
const Name = ".lab"

// Dir is an opened .lab/ folder.
type Dir struct {
	Path string
}

// Open creates .lab/ under labDir when missing, with a .gitignore that
// ignores everything in it.
func Open(labDir string) (*Dir, error) {
	d := &Dir{Path: filepath.Join(labDir, Name)}
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", d.Path, err)
	}
	ignore := filepath.Join(d.Path, ".gitignore")
	if _, err := os.Stat(ignore); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(ignore, []byte("*\n"), 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", ignore, err)
		}
	}
	return d, nil
}

// File is the path of a file inside .lab/.
func (d *Dir) File(name string) string { return filepath.Join(d.Path, name) }

// Seeds is the folder holding each node's cloud-init seed ISO.
func (d *Dir) Seeds() (string, error) {
	p := d.File("seeds")
	if err := os.MkdirAll(p, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", p, err)
	}
	return p, nil
}

// DigestKey returns the lab's secret key for the digests lab records on
// its VMs, made on first use: a plain hash of a step that uses a sensitive
// value could be checked against guesses by anyone who reads the VM.
func (d *Dir) DigestKey() ([]byte, error) {
	path := d.File("digest-key")
	b, err := os.ReadFile(path)
	if err == nil {
		if key, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil &&
			len(key) == 32 {
			return key, nil
		}
		return nil, fmt.Errorf("%s is not a lab digest key; delete it to make a new one "+
			"(every step runs again)", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the digest key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("making a digest key: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing the digest key: %w", err)
	}
	return key, nil
}

// RemoveOwn removes path if it lies inside .lab/ (and exists); a path
// elsewhere is the user's and stays.
func (d *Dir) RemoveOwn(path string) error {
	rel, err := filepath.Rel(d.Path, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// ID returns the lab id kept in .lab/id. When there is none it adopts
// found (the id recorded on the lab's live VMs, so a lost .lab/ keeps its
// MACs) or makes a new random one, and writes it.
func (d *Dir) ID(found string) (string, error) {
	path := d.File("id")
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading lab id: %w", err)
	}
	id := found
	if id == "" {
		var raw [8]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return "", fmt.Errorf("making a lab id: %w", err)
		}
		id = hex.EncodeToString(raw[:])
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing lab id: %w", err)
	}
	return id, nil
}

// Log creates a new log file for one run of a command, under .lab/logs/.
func (d *Dir) Log(command string, now time.Time) (*os.File, error) {
	dir := d.File("logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	// CreateTemp makes the name unique (0600) when runs share a second.
	pattern := fmt.Sprintf("%s-%s-*.log", now.UTC().Format("20060102T150405Z"), command)
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("creating log: %w", err)
	}
	return f, nil
}
