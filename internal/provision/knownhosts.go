package provision

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// KnownHosts pins guests' host keys per node and VM UUID in a file of
// lines "<node> <vm-uuid> <key-type> <base64>". The first connection to a
// node's VM pins its key; a different key for the same node and VM later is
// refused. A new VM UUID (the VM was rebuilt) pins afresh.
type KnownHosts struct {
	path string
	mu   sync.Mutex
	pins []pin
}

type pin struct {
	node, uuid string
	key        ssh.PublicKey
}

// HostKeyChangedError reports a guest whose host key differs from its pin.
type HostKeyChangedError struct {
	Node, UUID string
	Want, Got  string // fingerprints
	KnownHosts string
}

// Error says which pin the key broke and how to drop it.
func (e *HostKeyChangedError) Error() string {
	return fmt.Sprintf("host key of node %s (VM %s) changed: pinned %s, offered %s; "+
		"refusing to connect. If the VM was rebuilt, `lab destroy %s` drops the pin "+
		"(kept in %s)", e.Node, e.UUID, e.Want, e.Got, e.Node, e.KnownHosts)
}

// OpenKnownHosts reads the pin file at path; a missing file is empty.
func OpenKnownHosts(path string) (*KnownHosts, error) {
	kh := &KnownHosts{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return kh, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading known hosts: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := parsePin(line)
		if err != nil {
			return nil, fmt.Errorf("reading known hosts %s:%d: %w", path, n, err)
		}
		kh.pins = append(kh.pins, p)
	}
	return kh, nil
}

func parsePin(line string) (pin, error) {
	f := strings.Fields(line)
	if len(f) != 4 {
		return pin{}, fmt.Errorf("want \"<node> <vm-uuid> <key-type> <base64>\", got %q", line)
	}
	raw, err := base64.StdEncoding.DecodeString(f[3])
	if err != nil {
		return pin{}, fmt.Errorf("bad key: %w", err)
	}
	key, err := ssh.ParsePublicKey(raw)
	if err != nil {
		return pin{}, fmt.Errorf("bad key: %w", err)
	}
	if key.Type() != f[2] {
		return pin{}, fmt.Errorf("key type %s does not match key %s", f[2], key.Type())
	}
	return pin{node: f[0], uuid: f[1], key: key}, nil
}

// Path returns the pin file.
func (kh *KnownHosts) Path() string { return kh.path }

// Pinned returns the key pinned for the node's VM, or nil.
func (kh *KnownHosts) Pinned(node, uuid string) ssh.PublicKey {
	kh.mu.Lock()
	defer kh.mu.Unlock()
	for _, p := range kh.pins {
		if p.node == node && p.uuid == uuid {
			return p.key
		}
	}
	return nil
}

// HostKeyAlgorithms returns the algorithms to ask the guest for: the pinned
// key's, so a guest with several host keys offers the pinned one; nil (any)
// when nothing is pinned yet.
func (kh *KnownHosts) HostKeyAlgorithms(node, uuid string) []string {
	key := kh.Pinned(node, uuid)
	if key == nil {
		return nil
	}
	if key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{key.Type()}
}

// Callback checks a guest's host key against the pin for node and uuid and
// puts the key in *seen. It pins nothing: Dial pins the key once the guest
// has accepted lab's key, which only the lab's own VM can, so another
// program holding the port is never pinned.
func (kh *KnownHosts) Callback(node, uuid string, seen *ssh.PublicKey) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		*seen = key
		kh.mu.Lock()
		defer kh.mu.Unlock()
		return kh.match(node, uuid, key)
	}
}

// match compares key with the pin for node and uuid; nil when it matches
// or nothing is pinned. kh.mu is held.
func (kh *KnownHosts) match(node, uuid string, key ssh.PublicKey) error {
	for _, p := range kh.pins {
		if p.node != node || p.uuid != uuid {
			continue
		}
		if bytes.Equal(p.key.Marshal(), key.Marshal()) {
			return nil
		}
		return &HostKeyChangedError{Node: node, UUID: uuid,
			Want: ssh.FingerprintSHA256(p.key), Got: ssh.FingerprintSHA256(key),
			KnownHosts: kh.path}
	}
	return nil
}

// Pin records key as the host key of node's VM uuid, replacing the pins of
// the node's older VMs; a different key already pinned for uuid is an
// error.
func (kh *KnownHosts) Pin(node, uuid string, key ssh.PublicKey) error {
	kh.mu.Lock()
	defer kh.mu.Unlock()
	if err := kh.match(node, uuid, key); err != nil {
		return err
	}
	for _, p := range kh.pins {
		if p.node == node && p.uuid == uuid {
			return nil
		}
	}
	// A pin for an older VM of this node is stale: that VM is gone.
	kept := kh.pins[:0:0]
	for _, p := range kh.pins {
		if p.node != node {
			kept = append(kept, p)
		}
	}
	kh.pins = append(kept, pin{node: node, uuid: uuid, key: key})
	if err := kh.save(); err != nil {
		return fmt.Errorf("pinning host key of node %s: %w", node, err)
	}
	return nil
}

// Forget drops every pin of a node, as destroy and replace do.
func (kh *KnownHosts) Forget(node string) error {
	kh.mu.Lock()
	defer kh.mu.Unlock()
	kept := kh.pins[:0:0]
	for _, p := range kh.pins {
		if p.node != node {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(kh.pins) {
		return nil
	}
	kh.pins = kept
	if err := kh.save(); err != nil {
		return fmt.Errorf("forgetting host key of node %s: %w", node, err)
	}
	return nil
}

// save writes the pins through a temporary file and a rename, mode 0600.
func (kh *KnownHosts) save() error {
	var b strings.Builder
	for _, p := range kh.pins {
		fmt.Fprintf(&b, "%s %s %s %s\n", p.node, p.uuid, p.key.Type(),
			base64.StdEncoding.EncodeToString(p.key.Marshal()))
	}
	if err := os.MkdirAll(filepath.Dir(kh.path), 0o700); err != nil {
		return err
	}
	tmp := kh.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, kh.path)
}

// WriteOpenSSH writes an OpenSSH known_hosts file at path holding the
// node's pinned key for hostPort ("127.0.0.1:2222"), so the system ssh can
// be run with -o UserKnownHostsFile=path and StrictHostKeyChecking=yes.
func (kh *KnownHosts) WriteOpenSSH(path, hostPort, node, uuid string) error {
	key := kh.Pinned(node, uuid)
	if key == nil {
		return fmt.Errorf("no host key pinned for node %s (VM %s) yet", node, uuid)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostPort)}, key) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		return fmt.Errorf("writing known hosts for ssh: %w", err)
	}
	return nil
}
