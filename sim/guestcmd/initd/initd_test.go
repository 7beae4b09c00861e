package initd

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestReadServices(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"microk8s":  "# the snap's daemon\n\n/usr/lib/labsim/guest microk8sd\n",
		".hidden":   "/bin/false\n",
		"empty":     "# nothing\n",
		"two-lines": "/bin/sleep 100\n/bin/other\n",
	}
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{"microk8s": {"/usr/lib/labsim/guest", "microk8sd"},
		"two-lines": {"/bin/sleep", "100"}}
	if got := ReadServices(dir); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestEnsureHostKeys(t *testing.T) {
	dir := t.TempDir()
	if err := EnsureHostKeys(dir, "root@cp"); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"ed25519", "rsa"} {
		path := filepath.Join(dir, "ssh_host_"+kind+"_key")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "-----BEGIN OPENSSH PRIVATE KEY-----\n") {
			t.Errorf("%s is not in OpenSSH format", path)
		}
		signer, err := ssh.ParsePrivateKey(data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		pub, _ := os.ReadFile(path + ".pub")
		parsed, comment, _, _, err := ssh.ParseAuthorizedKey(pub)
		if err != nil || comment != "root@cp" ||
			string(parsed.Marshal()) != string(signer.PublicKey().Marshal()) {
			t.Errorf("%s.pub does not match: %q %v", path, pub, err)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", path, st.Mode().Perm())
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, "ssh_host_ed25519_key"))
	if err := EnsureHostKeys(dir, "root@cp"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "ssh_host_ed25519_key"))
	if string(before) != string(after) {
		t.Error("an existing host key was replaced")
	}
}
