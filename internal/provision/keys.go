package provision

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/crypto/ssh"
)

// keyComment ends the authorized_keys line lab puts on guests.
const keyComment = "lab"

// Key is a lab's SSH identity: one ed25519 key per lab, kept under .lab/.
type Key struct {
	path   string
	signer ssh.Signer
}

// LoadKey reads the lab's key at <labDir>/.lab/id_ed25519, creating the
// folder and a new key when missing. A key file that group or others can
// read is refused, as OpenSSH refuses it.
func LoadKey(labDir string) (*Key, error) {
	dir := filepath.Join(labDir, ".lab")
	path := filepath.Join(dir, "id_ed25519")
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(dir, path); err != nil {
			return nil, fmt.Errorf("creating ssh key %s: %w", path, err)
		}
		info, err = os.Stat(path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading ssh key: %w", err)
	}
	// Windows has no mode bits to check (ACLs instead); Go reports 0666.
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("ssh key %s has mode %04o: it must be readable by its "+
			"owner only (chmod 600 %s)", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ssh key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("parsing ssh key %s: %w", path, err)
	}
	return &Key{path: path, signer: signer}, nil
}

// createKey writes a new ed25519 key in OpenSSH format with mode 0600, and
// its public half beside it.
func createKey(dir, path string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, keyComment)
	if err != nil {
		return err
	}
	// O_EXCL: never overwrite a key another lab process wrote meanwhile.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(pem.EncodeToMemory(block)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	line := authorizedLine(sshPub) + "\n"
	return os.WriteFile(path+".pub", []byte(line), 0o644)
}

func authorizedLine(pub ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " " + keyComment
}

// AuthorizedKey returns the public key as an authorized_keys line:
// "ssh-ed25519 AAAA... lab".
func (k *Key) AuthorizedKey() string { return authorizedLine(k.signer.PublicKey()) }

// Signer returns the key for ssh client authentication.
func (k *Key) Signer() ssh.Signer { return k.signer }

// Path returns the private key file, for running the system ssh with -i.
func (k *Key) Path() string { return k.path }
