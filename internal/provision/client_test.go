package provision

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/labtool/lab/internal/spec"
)

func TestClientRun(t *testing.T) {
	s := startSSHD(t)
	c := s.dial(t)
	tests := []struct {
		cmd, stdin, stdout, stderr string
		code                       int
	}{
		{"true", "", "", "", 0},
		{"exit 7", "", "", "", 7},
		{"cat; echo oops >&2; exit 3", "hello\n", "hello\n", "oops\n", 3},
		{"kill -9 $$", "", "", "", 137},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code, err := c.Run(context.Background(), tt.cmd, strings.NewReader(tt.stdin), &out, &errb)
		if err != nil {
			t.Fatalf("%s: %v", tt.cmd, err)
		}
		if code != tt.code || out.String() != tt.stdout || errb.String() != tt.stderr {
			t.Errorf("%s: code %d stdout %q stderr %q", tt.cmd, code, out.String(), errb.String())
		}
	}
	// The host key was pinned on first use.
	if s.kh.Pinned("cp", "uuid-1") == nil {
		t.Error("host key not pinned")
	}
}

func TestClientUploadAndWrite(t *testing.T) {
	s := startSSHD(t)
	c := s.dial(t)
	src := fileTree(t)
	remote := filepath.Join(t.TempDir(), "dst")
	ctx := context.Background()
	if err := c.Upload(ctx, src, remote); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, filepath.Join(src, "a.txt"), remote+"/new/one.txt"); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteFile(ctx, remote+"/w.conf", []byte("x=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		data string
		mode os.FileMode
	}{
		"a.txt":       {"a", 0o644},
		"sub/run.sh":  {"#!/bin/sh", 0o755},
		"new/one.txt": {"a", 0o644},
		"w.conf":      {"x=1\n", 0o600},
	}
	for rel, w := range want {
		p := filepath.Join(remote, rel)
		data, err := os.ReadFile(p)
		info, err2 := os.Stat(p)
		if err != nil || err2 != nil {
			t.Errorf("%s: %v %v", rel, err, err2)
			continue
		}
		if string(data) != w.data || info.Mode().Perm() != w.mode {
			t.Errorf("%s: %q mode %04o, want %q %04o", rel, data, info.Mode().Perm(),
				w.data, w.mode)
		}
	}
}

func TestRunStepOverSSH(t *testing.T) {
	s := startSSHD(t)
	c := s.dial(t)
	dst := filepath.Join(t.TempDir(), "etc", "app")
	var out bytes.Buffer
	tree := fileTree(t)
	steps := []*spec.Step{
		{Type: "file", Name: "conf", Source: tree, Destination: dst},
		{Type: "file", Name: "one", Source: filepath.Join(tree, "a.txt"),
			Destination: dst + "/sub"},
		{Type: "file", Name: "two", Source: filepath.Join(tree, "a.txt"),
			Destination: dst + "/new/b.txt"},
		{Type: "shell", Name: "check", Inline: []string{"cat " + dst + "/a.txt",
			"echo \" $WHO\"", "test -x " + dst + "/sub/run.sh",
			"test -f " + dst + "/sub/a.txt", "test -f " + dst + "/new/b.txt"},
			Env: map[string]string{"WHO": "lab"}},
	}
	for _, st := range steps {
		if err := RunStep(context.Background(), c, st, &out); err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != "a lab\n" {
		t.Errorf("output %q", out.String())
	}
	fail := &spec.Step{Type: "shell", Name: "fails", Inline: []string{"false", "echo no"}}
	out.Reset()
	err := RunStep(context.Background(), c, fail, &out)
	if err == nil || err.Error() != "script exited 1" || out.Len() != 0 {
		t.Errorf("got %v, output %q", err, out.String())
	}
}

func TestDialNothingListens(t *testing.T) {
	dir := t.TempDir()
	key, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	kh, _ := OpenKnownHosts(filepath.Join(dir, "known_hosts"))
	tg := Target{Node: "web", VMUUID: "u", User: "ubuntu", Host: "127.0.0.1", Port: freePort(t)}
	_, err = Dial(context.Background(), tg, key, kh, 700*time.Millisecond)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, w := range []string{"node web", tg.Addr(), "connection refused", "lab status"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}

func TestDialWaitsForBoot(t *testing.T) {
	s := prepareSSHD(t)
	type result struct {
		c   *Client
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := Dial(context.Background(), s.target(), s.key, s.kh, time.Minute)
		done <- result{c, err}
	}()
	// Let Dial meet a refused port at least once before the server comes up.
	time.Sleep(300 * time.Millisecond)
	s.start(t)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.c.Close()
	if code, err := r.c.Run(context.Background(), "exit 5", nil, nil, nil); code != 5 || err != nil {
		t.Errorf("run: %d %v", code, err)
	}
}

func TestDialRefusesChangedHostKey(t *testing.T) {
	s := startSSHD(t)
	if err := s.kh.Pin("cp", "uuid-1", newHostKey(t)); err != nil {
		t.Fatal(err)
	}
	_, err := Dial(context.Background(), s.target(), s.key, s.kh, time.Minute)
	var changed *HostKeyChangedError
	if !errors.As(err, &changed) || !strings.Contains(err.Error(), "lab destroy cp") {
		t.Fatalf("got %v", err)
	}
	// After forgetting, the real key is pinned and the connection works.
	if err := s.kh.Forget("cp"); err != nil {
		t.Fatal(err)
	}
	s.dial(t)
}

func TestClientRunCancel(t *testing.T) {
	s := startSSHD(t)
	c := s.dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Run(ctx, "sleep 30", nil, nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "node cp") {
		t.Fatalf("got %v", err)
	}
	// The connection stays usable for the next command.
	if code, err := c.Run(context.Background(), "exit 4", nil, nil, nil); code != 4 || err != nil {
		t.Errorf("after cancel: %d %v", code, err)
	}
}

// TestDialGivesUpOnARefusedKey: a server that keeps refusing lab's key ends
// the wait long before the budget, naming the key.
func TestDialGivesUpOnARefusedKey(t *testing.T) {
	s := startSSHD(t)
	other, err := LoadKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func(b time.Duration) { authBudget = b }(authBudget)
	authBudget = 500 * time.Millisecond
	_, err = Dial(context.Background(), s.target(), other, s.kh, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "refuses lab's key "+other.Path()) {
		t.Fatalf("got %v", err)
	}
	// A server that never accepted lab's key may be another program on the
	// port: its host key is not pinned.
	if k := s.kh.Pinned(s.target().Node, s.target().VMUUID); k != nil {
		t.Errorf("pinned %s of a server that refused lab's key", ssh.FingerprintSHA256(k))
	}
}
