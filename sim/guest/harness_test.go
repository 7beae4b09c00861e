package guest

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labtool/lab/sim/box"
	"github.com/labtool/lab/sim/vboxstate"
	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// The runtime tests boot real guests: they need root, namespaces and the
// host's OpenSSH server, busybox-static and iproute2.
func needRoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("boots guests; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("boots guests; needs root")
	}
	for _, p := range []string{"/usr/sbin/sshd", "/bin/busybox", ipBin} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs %s", p)
		}
	}
}

var (
	buildOnce sync.Once
	labsimBin string
	diskTar   []byte
	buildErr  error
	testKey   ssh.Signer
)

// fixtures builds labsim, a box whose init is the stand-in script, and a
// client key authorised for root in the box's disk.
func fixtures(t *testing.T) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "labsim-test-")
		if err != nil {
			buildErr = err
			return
		}
		labsimBin = filepath.Join(dir, "labsim")
		out, err := exec.Command("go", "build", "-o", labsimBin,
			"github.com/labtool/lab/sim/cmd/labsim").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building labsim: %v: %s", err, out)
			return
		}
		initScript, _ := filepath.Abs("testdata/standin-init.sh")
		boxDir := filepath.Join(dir, "box")
		if buildErr = box.Build(box.Options{Out: boxDir, GuestBin: initScript,
			Busybox: "/bin/busybox"}); buildErr != nil {
			return
		}
		diskTar, buildErr = withRootKey(filepath.Join(boxDir, box.DiskName))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// withRootKey returns the box disk with a fresh key in root's
// authorized_keys, as cloud-init would put it.
func withRootKey(disk string) ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if testKey, err = ssh.NewSignerFromKey(priv); err != nil {
		return nil, err
	}
	f, err := os.Open(disk)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return nil, err
		}
	}
	key := ssh.MarshalAuthorizedKey(testKey.PublicKey())
	h := &tar.Header{Name: "root/.ssh/authorized_keys", Mode: 0o600, Size: int64(len(key)),
		Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(h); err != nil {
		return nil, err
	}
	tw.Write(key)
	return buf.Bytes(), tw.Close()
}

// sim is one simulator home with its world.
type sim struct {
	t     *testing.T
	home  string
	store *vboxstate.Store
	names Names
	procs map[string]*exec.Cmd
}

func newSim(t *testing.T, w *vboxstate.World) *sim {
	t.Helper()
	needRoot(t)
	fixtures(t)
	home := t.TempDir()
	store, err := vboxstate.Open(home)
	if err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(home, "box-disk1.vmdk")
	if err := os.WriteFile(disk, diskTar, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, m := range w.Machines {
		m.Storage = []vboxstate.Controller{{Name: "SATA", Type: "IntelAhci", PortCount: 1,
			Attachments: []vboxstate.Attachment{{Type: "hdd", Medium: disk}}}}
	}
	if err := store.Update(func(cur *vboxstate.World) error { *cur = *w; return nil }); err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, home: home, store: store, names: NamesFor(home),
		procs: map[string]*exec.Cmd{}}
	t.Cleanup(s.cleanup)
	return s
}

// start spawns a VM process the way VBoxManage startvm does: under the
// state lock, recording its pid.
func (s *sim) start(uuid string) {
	s.t.Helper()
	err := s.store.Update(func(w *vboxstate.World) error {
		m := w.Machine(uuid)
		cmd := exec.Command(labsimBin, "vm", "run", "--uuid", uuid)
		cmd.Env = append(os.Environ(), "LAB_SIM_HOME="+s.home)
		logf, err := os.Create(filepath.Join(s.home, "vm-"+uuid+".out"))
		if err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		logf.Close()
		m.State, m.VMPid = "running", cmd.Process.Pid
		s.procs[uuid] = cmd
		return nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

// wait waits for a VM process to exit and returns its exit code.
func (s *sim) wait(uuid string) int {
	s.t.Helper()
	cmd := s.procs[uuid]
	err := cmd.Wait()
	delete(s.procs, uuid)
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return 0
}

func (s *sim) signal(uuid string, sig os.Signal) {
	s.t.Helper()
	if err := s.procs[uuid].Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sim) update(fn func(w *vboxstate.World)) {
	s.t.Helper()
	if err := s.store.Update(func(w *vboxstate.World) error { fn(w); return nil }); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sim) machine(uuid string) vboxstate.Machine {
	s.t.Helper()
	var m vboxstate.Machine
	if err := s.store.View(func(w *vboxstate.World) error {
		m = *w.Machine(uuid)
		return nil
	}); err != nil {
		s.t.Fatal(err)
	}
	return m
}

func (s *sim) log(uuid, name string) string {
	data, _ := os.ReadFile(filepath.Join(s.names.VMDir(uuid), name))
	return string(data)
}

func (s *sim) cleanup() {
	for uuid, cmd := range s.procs {
		cmd.Process.Signal(unix.SIGTERM)
		cmd.Wait()
		if s.t.Failed() {
			s.t.Logf("%s labsim.log:\n%s\nconsole.log:\n%s", uuid, s.log(uuid, "labsim.log"),
				s.log(uuid, "console.log"))
		}
	}
	Reset(s.names, s.store)
}

// dial connects to the guest's sshd through a forward, retrying while the
// guest boots.
func dial(t *testing.T, port int) *ssh.Client {
	t.Helper()
	cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(testKey)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var last error
	for i := 0; i < 300; i++ {
		c, err := ssh.Dial("tcp", addr, cfg)
		if err == nil {
			return c
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("ssh to %s: %v", addr, last)
	return nil
}

// run runs cmd in the guest and returns its trimmed output and exit code.
func run(t *testing.T, c *ssh.Client, cmd string) (string, int) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput(cmd)
	code := 0
	if ee, ok := err.(*ssh.ExitError); ok {
		code = ee.ExitStatus()
	} else if err != nil {
		t.Fatalf("running %q: %v", cmd, err)
	}
	return strings.TrimSpace(string(out)), code
}

// freePort finds a free TCP port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// eventually polls cond until it holds or about 15 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never happened", what)
}

// machineWith is a running-capable machine with NIC1 NAT forwarding
// hostPort to 22, plus extra NICs.
func machineWith(uuid, mac string, hostPort int, extra ...vboxstate.NIC) *vboxstate.Machine {
	nics := []vboxstate.NIC{{Type: "nat", MAC: mac + "01", Cable: true,
		Forwards: []vboxstate.Rule{{Name: "ssh", Proto: "tcp", HostPort: hostPort, GuestPort: 22}}}}
	nics = append(nics, extra...)
	for len(nics) < 8 {
		nics = append(nics, vboxstate.NIC{Type: "none"})
	}
	return &vboxstate.Machine{UUID: uuid, Name: "vm-" + uuid[:4], State: "poweroff", NICs: nics}
}

// runLast runs a command that takes the guest down with the session, so
// no exit status comes back.
func runLast(t *testing.T, c *ssh.Client, cmd string) {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	sess.Run(cmd)
}
