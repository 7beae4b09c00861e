package provision

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// testSSHD is a real OpenSSH sshd on 127.0.0.1, run as root in its own
// mount namespace (so its /run/sshd is a private tmpfs) and PID namespace, with a temporary
// host key and authorized_keys.
type testSSHD struct {
	port    int
	dir     string
	hostKey string // private host key file
	key     *Key
	kh      *KnownHosts
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startSSHD(t *testing.T) *testSSHD {
	t.Helper()
	s := prepareSSHD(t)
	s.start(t)
	return s
}

// prepareSSHD sets up an sshd's files without starting it.
func prepareSSHD(t *testing.T) *testSSHD {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("sshd tests need root")
	}
	for _, bin := range []string{"/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/unshare"} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("sshd tests need %s", bin)
		}
	}
	dir := t.TempDir()
	s := &testSSHD{port: freePort(t), dir: dir, hostKey: filepath.Join(dir, "host_ed25519")}
	out, err := exec.Command("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "",
		"-f", s.hostKey).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	if s.key, err = LoadKey(dir); err != nil {
		t.Fatal(err)
	}
	if s.kh, err = OpenKnownHosts(filepath.Join(dir, ".lab", "known_hosts")); err != nil {
		t.Fatal(err)
	}
	s.writeConfig(t)
	return s
}

// writeConfig writes sshd_config, authorized_keys and a stand-in sudo that
// runs its command as the (root) login user, since the test host has none.
func (s *testSSHD) writeConfig(t *testing.T) {
	bin := filepath.Join(s.dir, "bin")
	files := map[string]string{
		"authorized_keys": s.key.AuthorizedKey() + "\n",
		"bin/sudo":        "#!/bin/sh\n[ \"$1\" = -n ] && shift\nexec \"$@\"\n",
		"sshd_config": fmt.Sprintf("ListenAddress 127.0.0.1:%d\nHostKey %s\n"+
			"AuthorizedKeysFile %s\nUsePAM no\nStrictModes no\nPidFile none\n"+
			"PermitRootLogin prohibit-password\nPasswordAuthentication no\n"+
			"KbdInteractiveAuthentication no\nSubsystem sftp internal-sftp\n"+
			"SetEnv PATH=%s:/usr/sbin:/usr/bin:/sbin:/bin\nLogLevel ERROR\n",
			s.port, s.hostKey, filepath.Join(s.dir, "authorized_keys"), bin),
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *testSSHD) start(t *testing.T) {
	t.Helper()
	script := "mount -t tmpfs -o mode=755 tmpfs /run && mkdir /run/sshd && " +
		"exec /usr/sbin/sshd -D -e -f " + filepath.Join(s.dir, "sshd_config")
	// A PID namespace too: when sshd (its init) is killed, every session
	// process it started dies with it; --kill-child ties sshd to unshare.
	cmd := exec.Command("/usr/bin/unshare", "-m", "--propagation", "private", "-p", "-f",
		"--kill-child", "/bin/sh", "-c", script)
	// sshd's log is shown only when a test fails: readiness probes below
	// make it complain about connections without a handshake.
	var log bytes.Buffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", log.String())
		}
	})
	for i := 0; i < 100; i++ {
		c, err := net.Dial("tcp", s.addr())
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sshd did not listen on %s", s.addr())
}

func (s *testSSHD) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *testSSHD) target() Target {
	return Target{Node: "cp", VMUUID: "uuid-1", User: "root", Host: "127.0.0.1", Port: s.port}
}

func (s *testSSHD) dial(t *testing.T) *Client {
	t.Helper()
	c, err := Dial(context.Background(), s.target(), s.key, s.kh, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
