package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The end-to-end test boots two guests (a control plane and a worker) with
// this binary as PID 1 in namespaces it creates, installs MicroK8s on both
// and joins them over a veth "lab network". Root only; everything it makes
// is removed.

const scale = "0.05"

var appletLinks = []string{"/sbin/init", "/usr/bin/cloud-init", "/usr/sbin/netplan",
	"/usr/bin/hostnamectl", "/usr/bin/sudo", "/usr/bin/snap", "/usr/bin/microk8s"}

type testGuest struct {
	name, ns, root string
	cmd            *exec.Cmd
	init           int
	done           chan error
	console        bytes.Buffer
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func buildGuest(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "guest")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the guest binary: %v\n%s", err, out)
	}
	return bin
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}

// makeRoot lays out a guest root: busybox, the guest binary, ip and its libraries.
func makeRoot(t *testing.T, bin, name, labIP string) string {
	root := t.TempDir()
	copyFile(t, "/bin/busybox", filepath.Join(root, "bin/busybox"), 0o755)
	for _, a := range []string{"sh", "cat", "echo", "sleep", "id", "hostname", "touch"} {
		_ = os.Symlink("busybox", filepath.Join(root, "bin", a))
	}
	copyFile(t, bin, filepath.Join(root, "usr/lib/labsim/guest"), 0o755)
	for _, a := range appletLinks {
		_ = os.MkdirAll(filepath.Join(root, filepath.Dir(a)), 0o755)
		_ = os.Symlink("/usr/lib/labsim/guest", filepath.Join(root, a))
	}
	if err := os.MkdirAll(filepath.Join(root, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(root, "dev/null"), syscall.S_IFCHR|0o666,
		1<<8|3); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "/usr/sbin/ip", filepath.Join(root, "usr/sbin/ip"), 0o755)
	for _, f := range strings.Fields(run(t, "ldd", "/usr/sbin/ip")) {
		if strings.HasPrefix(f, "/") {
			copyFile(t, f, filepath.Join(root, f), 0o755)
		}
	}
	files := map[string]string{
		"etc/passwd":   "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":    "root:x:0:\nadm:x:4:\nsudo:x:27:\n",
		"etc/hostname": "ubuntu\n",
		"etc/hosts":    "127.0.0.1 localhost\n",
		"run/labsim/dhcp.json": `{"08:00:27:00:00:` + labIP[len(labIP)-2:] + `":` +
			`{"address":"10.0.2.15/24","gateway":"10.0.2.2","dns":["10.0.2.3"]}}`,
		"var/lib/cloud/seed/nocloud/meta-data": "instance-id: iid-" + name +
			"\nlocal-hostname: " + name + "\n",
		"var/lib/cloud/seed/nocloud/user-data": "#cloud-config\nusers: [default]\n",
		"var/lib/cloud/seed/nocloud/network-config": "version: 2\nethernets:\n  nat:\n" +
			"    match: {macaddress: '08:00:27:00:00:" + labIP[len(labIP)-2:] + "'}\n" +
			"    set-name: enp0s3\n    dhcp4: true\n  enp0s8:\n    addresses: [" + labIP +
			"/24]\n",
	}
	for p, body := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func (g *testGuest) boot(t *testing.T) {
	g.cmd = exec.Command("ip", "netns", "exec", g.ns, "unshare", "-p", "-f", "-m", "-u",
		"chroot", g.root, "/sbin/init")
	g.cmd.Env = append(os.Environ(), "LAB_SIM_TIME_SCALE="+scale)
	g.cmd.Stdout, g.cmd.Stderr = &g.console, &g.console
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g.done = make(chan error, 1)
	go func() { g.done <- g.cmd.Wait() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console of %s:\n%s", g.name, g.console.String())
			log, _ := os.ReadFile(filepath.Join(g.root, "var/log/cloud-init.log"))
			t.Logf("cloud-init.log of %s:\n%s", g.name, log)
		}
		if g.init > 0 {
			_ = syscall.Kill(g.init, syscall.SIGKILL)
		}
		_ = g.cmd.Process.Kill()
		<-g.done
	})
	g.init = waitFor(t, "init of "+g.name, func() (int, bool) {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", g.cmd.Process.Pid,
			g.cmd.Process.Pid))
		var pid int
		_, _ = fmt.Sscan(string(data), &pid)
		if err != nil || pid == 0 {
			return 0, false
		}
		// ip netns exec execs unshare, whose forked child is init.
		return pid, true
	})
	waitFor(t, "cloud-init on "+g.name, func() (int, bool) {
		data, _ := os.ReadFile(filepath.Join(g.root, "run/cloud-init/labsim-status.json"))
		return 0, strings.Contains(string(data), `"status":"done"`)
	})
}

func waitFor(t *testing.T, what string, f func() (int, bool)) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if v, ok := f(); ok {
			return v
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
	return 0
}

// exec runs a command inside the guest's namespaces and root.
func (g *testGuest) exec(args ...string) (string, int) {
	cmd := exec.Command("nsenter", append([]string{"-t", fmt.Sprint(g.init), "-m", "-u", "-n",
		"-p", "-r", "-w"}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
	}
	return string(out), code
}

func TestTwoGuestsJoin(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, tool := range []string{"/bin/busybox", "/usr/sbin/ip"} {
		if _, err := os.Stat(tool); err != nil {
			t.Skip("missing " + tool)
		}
	}
	for _, tool := range []string{"unshare", "nsenter", "ldd", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("missing " + tool)
		}
	}
	bin := buildGuest(t)
	tag := fmt.Sprintf("labsim-gt%d", os.Getpid())
	cp := &testGuest{name: "cp", ns: tag + "-cp"}
	w1 := &testGuest{name: "w1", ns: tag + "-w1"}
	for i, g := range []*testGuest{cp, w1} {
		run(t, "ip", "netns", "add", g.ns)
		ns := g.ns
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		mac := fmt.Sprintf("08:00:27:00:00:%d0", i+1)
		run(t, "ip", "-n", g.ns, "link", "add", "enp0s3", "address", mac, "type", "veth",
			"peer", "name", "nat0")
		run(t, "ip", "-n", g.ns, "link", "set", "nat0", "up")
	}
	run(t, "ip", "-n", cp.ns, "link", "add", "enp0s8", "type", "veth", "peer", "name",
		"enp0s8", "netns", w1.ns)
	cp.root = makeRoot(t, bin, "cp", "192.168.56.10")
	w1.root = makeRoot(t, bin, "w1", "192.168.56.20")
	cp.boot(t)
	w1.boot(t)

	for _, g := range []*testGuest{cp, w1} {
		out, code := g.exec("snap", "install", "microk8s", "--classic", "--channel=1.29/stable")
		if code != 0 || out != "microk8s (1.29/stable) v1.29.15 from Canonical** installed\n" {
			t.Fatalf("install on %s: %d %q", g.name, code, out)
		}
	}
	args := filepath.Join(cp.root, "var/snap/microk8s/current/args/kubelet")
	f, _ := os.OpenFile(args, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintln(f, "--node-ip=192.168.56.10")
	f.Close()
	if out, code := cp.exec("snap", "restart", "microk8s"); code != 0 || out != "Restarted.\n" {
		t.Fatalf("restart: %d %q", code, out)
	}
	if out, code := cp.exec("microk8s", "status", "--wait-ready", "--timeout", "60"); code != 0 ||
		!strings.HasPrefix(out, "microk8s is running\n") {
		t.Fatalf("status: %d %q", code, out)
	}
	out, code := cp.exec("microk8s", "add-node", "--format", "json", "--token-ttl", "600")
	var an struct {
		Token string   `json:"token"`
		URLs  []string `json:"urls"`
	}
	if err := json.Unmarshal([]byte(out), &an); err != nil || code != 0 || len(an.URLs) != 2 {
		t.Fatalf("add-node: %d %q", code, out)
	}
	if !strings.HasPrefix(an.URLs[0], "10.0.2.15:25000/") ||
		!strings.HasPrefix(an.URLs[1], "192.168.56.10:25000/") {
		t.Fatalf("add-node urls = %v", an.URLs)
	}
	// The default-route line reaches the joiner's own agent: identity error.
	out, code = w1.exec("microk8s", "join", an.URLs[0], "--worker")
	if code != 4 || !strings.Contains(out, "Could not verify the identity of 10.0.2.15.") {
		t.Errorf("join via 10.0.2.15: %d %q", code, out)
	}
	out, code = w1.exec("microk8s", "join", an.URLs[1], "--worker")
	if code != 0 || !strings.HasSuffix(out, "Successfully joined the cluster.\n") {
		t.Fatalf("join: %d %q", code, out)
	}
	waitFor(t, "w1 Ready", func() (int, bool) {
		out, _ := cp.exec("microk8s", "kubectl", "get", "nodes", "-o", "wide")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 5 && f[0] == "w1" && f[1] == "Ready" {
				return 0, true
			}
		}
		return 0, false
	})
	out, _ = cp.exec("microk8s", "kubectl", "get", "nodes", "-o", "json")
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Status   struct {
				Addresses []struct{ Type, Address string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Items) != 2 {
		t.Fatalf("nodes json: %q", out)
	}
	for _, n := range list.Items {
		want := map[string]string{"cp": "192.168.56.10", "w1": "192.168.56.20"}[n.Metadata.Name]
		if n.Status.Addresses[0].Address != want {
			t.Errorf("%s InternalIP = %s, want %s", n.Metadata.Name,
				n.Status.Addresses[0].Address, want)
		}
	}
	if out, code := w1.exec("microk8s", "kubectl", "get", "nodes"); code != 1 ||
		!strings.Contains(out, "acting as a node in a cluster") {
		t.Errorf("kubectl on worker: %d %q", code, out)
	}
	// Power off (SIGUSR2) and reboot (SIGTERM) end init with 0 and 10.
	for g, sig := range map[*testGuest]syscall.Signal{cp: syscall.SIGUSR2, w1: syscall.SIGTERM} {
		_ = syscall.Kill(g.init, sig)
		err := <-g.done
		g.done <- err
		want := map[syscall.Signal]int{syscall.SIGUSR2: 0, syscall.SIGTERM: 10}[sig]
		if got := g.cmd.ProcessState.ExitCode(); got != want {
			t.Errorf("%s after %v: exit %d, want %d", g.name, sig, got, want)
		}
		g.init = 0
	}
}
