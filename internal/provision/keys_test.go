package provision

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestLoadKeyCreatesAndReloads(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, ".lab", "id_ed25519"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key mode %04o, want 0600", info.Mode().Perm())
	}
	if k.Path() != filepath.Join(dir, ".lab", "id_ed25519") {
		t.Errorf("path %s", k.Path())
	}
	line := k.AuthorizedKey()
	if !strings.HasPrefix(line, "ssh-ed25519 AAAA") || !strings.HasSuffix(line, " lab") {
		t.Errorf("authorized key %q", line)
	}
	again, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.AuthorizedKey() != line {
		t.Errorf("reloaded key differs: %q vs %q", again.AuthorizedKey(), line)
	}
	if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err != nil {
		t.Errorf("authorized key does not parse: %v", err)
	}
}

func TestLoadKeyRefusesOpenMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		dir := t.TempDir()
		if _, err := LoadKey(dir); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, ".lab", "id_ed25519")
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKey(dir)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: got %v", mode, err)
		}
	}
}

func newHostKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKnownHostsPinRefuseForget(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lab", "known_hosts")
	kh, err := OpenKnownHosts(path)
	if err != nil {
		t.Fatal(err)
	}
	k1, k2 := newHostKey(t), newHostKey(t)
	check := func(kh *KnownHosts, node, uuid string, key ssh.PublicKey) error {
		return kh.Pin(node, uuid, key)
	}
	if err := check(kh, "cp", "uuid-1", k1); err != nil {
		t.Fatalf("first use: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("known_hosts: %v %v", info, err)
	}
	// A fresh reader sees the pin and refuses another key.
	kh2, err := OpenKnownHosts(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(kh2, "cp", "uuid-1", k1); err != nil {
		t.Errorf("same key: %v", err)
	}
	err = check(kh2, "cp", "uuid-1", k2)
	var changed *HostKeyChangedError
	if !errors.As(err, &changed) || !strings.Contains(err.Error(), "lab destroy cp") ||
		!strings.Contains(err.Error(), "changed") {
		t.Fatalf("changed key: %v", err)
	}
	// Another node is independent; a new UUID for cp pins afresh.
	if err := check(kh2, "web", "uuid-9", k2); err != nil {
		t.Errorf("other node: %v", err)
	}
	if err := check(kh2, "cp", "uuid-2", k2); err != nil {
		t.Errorf("rebuilt VM: %v", err)
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "cp uuid-2 ssh-ed25519 AAAA") {
		t.Errorf("file:\n%s", data)
	}
	if err := kh2.Forget("cp"); err != nil {
		t.Fatal(err)
	}
	kh3, _ := OpenKnownHosts(path)
	if kh3.Pinned("cp", "uuid-2") != nil || kh3.Pinned("web", "uuid-9") == nil {
		t.Errorf("after forget: %+v", kh3.pins)
	}
	if err := check(kh3, "cp", "uuid-2", k1); err != nil {
		t.Errorf("after forget: %v", err)
	}
}

func TestKnownHostsWriteOpenSSH(t *testing.T) {
	dir := t.TempDir()
	kh, _ := OpenKnownHosts(filepath.Join(dir, "known_hosts"))
	k := newHostKey(t)
	if err := kh.WriteOpenSSH(filepath.Join(dir, "x"), "127.0.0.1:2222", "cp", "u"); err == nil {
		t.Error("want an error before any pin")
	}
	if err := kh.Pin("cp", "u", k); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ssh_known_hosts")
	if err := kh.WriteOpenSSH(out, "127.0.0.1:2222", "cp", "u"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	want := "[127.0.0.1]:2222 " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + "\n"
	if string(data) != want {
		t.Errorf("got %q, want %q", data, want)
	}
}

func TestOpenKnownHostsRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte("cp uuid ssh-ed25519\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKnownHosts(path); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Errorf("got %v", err)
	}
}
