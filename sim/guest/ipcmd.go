package guest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ipBin is the host's iproute2 ip; the simulator needs the real one.
var ipBin = "/usr/sbin/ip"

// ip runs the host's iproute2 with args and returns its stdout.
func ip(args ...string) (string, error) {
	cmd := exec.Command(ipBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err,
			strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// listNetns lists the host's named network namespaces.
func listNetns() ([]string, error) {
	entries, err := os.ReadDir("/run/netns")
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing network namespaces: %w", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

func netnsExists(name string) bool {
	_, err := os.Stat(filepath.Join("/run/netns", name))
	return err == nil
}

// ensureNetns creates a named network namespace with lo up, if missing.
func ensureNetns(name string) error {
	if netnsExists(name) {
		return nil
	}
	if _, err := ip("netns", "add", name); err != nil {
		return err
	}
	_, err := ip("-n", name, "link", "set", "lo", "up")
	return err
}

// deleteNetns removes a named network namespace; missing is fine.
func deleteNetns(name string) error {
	if !netnsExists(name) {
		return nil
	}
	_, err := ip("netns", "delete", name)
	return err
}

func linkExists(ns, link string) bool {
	_, err := ip("-n", ns, "link", "show", "dev", link)
	return err == nil
}

// lockFile takes an exclusive flock on path and returns its release.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("creating lock folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
