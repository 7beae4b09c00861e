package initd

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// EnsureHostKeys writes the ed25519 and RSA host keys OpenSSH expects
// under dir when they are missing, in OpenSSH's own key format.
func EnsureHostKeys(dir, comment string) error {
	for _, kind := range []string{"ed25519", "rsa"} {
		path := filepath.Join(dir, "ssh_host_"+kind+"_key")
		if _, err := os.Stat(path); err == nil {
			continue
		}
		if err := writeHostKey(path, kind, comment); err != nil {
			return err
		}
	}
	return nil
}

func writeHostKey(path, kind, comment string) error {
	var priv crypto.Signer
	var err error
	switch kind {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	}
	if err != nil {
		return fmt.Errorf("generating the %s host key: %w", kind, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return fmt.Errorf("encoding the %s host key: %w", kind, err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		return fmt.Errorf("encoding the %s public key: %w", kind, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	line := append(ssh.MarshalAuthorizedKey(pub), []byte{}...)
	line = append(line[:len(line)-1], []byte(" "+comment+"\n")...)
	if err := os.WriteFile(path+".pub", line, 0o644); err != nil {
		return fmt.Errorf("writing %s.pub: %w", path, err)
	}
	return nil
}
