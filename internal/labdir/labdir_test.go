package labdir

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenWritesGitignore(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(d.File(".gitignore"))
	if err != nil || string(b) != "*\n" {
		t.Fatalf(".gitignore = %q, %v", b, err)
	}
}

func TestID(t *testing.T) {
	d, _ := Open(t.TempDir())
	id, err := d.ID("feedfacecafebeef")
	if err != nil || id != "feedfacecafebeef" {
		t.Fatalf("adopted id = %q, %v", id, err)
	}
	again, _ := d.ID("other")
	if again != id {
		t.Errorf("second ID = %q, want the kept %q", again, id)
	}
	fresh, _ := Open(t.TempDir())
	made, _ := fresh.ID("")
	if len(made) != 16 {
		t.Errorf("new id %q is not 16 hex digits", made)
	}
}

func TestLock(t *testing.T) {
	d, _ := Open(t.TempDir())
	release, err := d.Lock()
	if err != nil {
		t.Fatal(err)
	}
	// A second taker sees this process as the live holder.
	_, err = d.Lock()
	var locked *LockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() {
		t.Fatalf("second Lock: %v", err)
	}
	want := fmt.Sprintf("another lab run (pid %d) holds %s; wait for it to finish",
		os.Getpid(), d.File("lock"))
	if err.Error() != want {
		t.Errorf("message %q", err)
	}
	release()
	if _, err := os.Stat(d.File("lock")); !os.IsNotExist(err) {
		t.Errorf("lock still there after release: %v", err)
	}
}

func TestStaleLockTakenOver(t *testing.T) {
	d, _ := Open(t.TempDir())
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	dead := cmd.Process.Pid
	if err := os.WriteFile(d.File("lock"), []byte(fmt.Sprintf("%d\n", dead)), 0o600); err != nil {
		t.Fatal(err)
	}
	release, err := d.Lock()
	if err != nil {
		t.Fatalf("stale lock of pid %d not taken over: %v", dead, err)
	}
	defer release()
	if got := holder(d.File("lock")); got != os.Getpid() {
		t.Errorf("lock holds pid %d, want ours", got)
	}
}

func TestLogNamesAreUnique(t *testing.T) {
	d, _ := Open(t.TempDir())
	now := time.Date(2026, 12, 4, 14, 0, 0, 0, time.UTC)
	a, err := d.Log("up", now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := d.Log("up", now)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Name() == b.Name() || !strings.HasPrefix(filepath.Base(a.Name()), "20261204T140000Z-up-") {
		t.Errorf("log names %s, %s", a.Name(), b.Name())
	}
}

func TestDigestKey(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, err := d.DigestKey()
	if err != nil || len(key) != 32 {
		t.Fatalf("key %x, %v", key, err)
	}
	info, err := os.Stat(d.File("digest-key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("digest-key: %v %v", info, err)
	}
	if again, _ := d.DigestKey(); string(again) != string(key) {
		t.Errorf("a second read gave another key")
	}
	if err := os.WriteFile(d.File("digest-key"), []byte("junk\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DigestKey(); err == nil || !strings.Contains(err.Error(),
		"is not a lab digest key") {
		t.Errorf("a damaged key: %v", err)
	}
}

// RemoveOwn removes what lies inside the lab's folder and nothing else.
func TestRemoveOwn(t *testing.T) {
	top := t.TempDir()
	d, err := Open(filepath.Join(top, "lab"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		gone bool
	}{
		{d.File("kubeconfig"), true},
		{filepath.Join(top, "lab", "kubeconfig"), false},
		{filepath.Join(top, "kubeconfig"), false},
	}
	for _, tt := range tests {
		if err := os.WriteFile(tt.path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := d.RemoveOwn(tt.path); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(tt.path); os.IsNotExist(err) != tt.gone {
			t.Errorf("%s: removed %v, want %v", tt.path, os.IsNotExist(err), tt.gone)
		}
	}
	if err := d.RemoveOwn(d.File("missing")); err != nil {
		t.Errorf("a missing file: %v", err)
	}
}
