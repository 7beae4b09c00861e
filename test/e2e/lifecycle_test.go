package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// twoNodes is a small lab: two nodes on a host-only network, a forward, a
// shell step and a file step. %d is the forward's host port.
const twoNodes = `
lab "t" {}

image "jammy" {
  box = "ubuntu/jammy64"
}

network "lan" {
  type = "hostonly"
  cidr = "192.168.56.0/24"
}

node "a" {
  image  = image.jammy
  memory = "%s"
  nic "lan" {
    network = network.lan
    ip      = "192.168.56.11/24"
  }
  forward "web" {
    host  = %d
    guest = 8080
  }
  provision "shell" "hello" {
    inline = ["echo hello from $(hostname) > /tmp/hello"]
  }
  provision "file" "conf" {
    source      = "files/app.conf"
    destination = "/etc/app.conf"
  }
}
%s
`

const nodeB = `
node "b" {
  image = image.jammy
  nic "lan" {
    network = network.lan
    ip      = "192.168.56.12/24"
  }%s
}
`

// freePort returns a TCP port free on 127.0.0.1 right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func labfile(memory string, port int, b string) string {
	return fmt.Sprintf(twoNodes, memory, port, b)
}

// TestUpExecDestroy builds a two-node lab, checks what provisioning did in
// the guests, that a second plan is empty, and that destroy leaves nothing.
func TestUpExecDestroy(t *testing.T) {
	w := newWorld(t)
	port := freePort(t)
	w.writeLabfile(labfile("1GiB", port, fmt.Sprintf(nodeB, "")),
		map[string]string{"files/app.conf": "listen = 8080\n"})

	before := w.hostNetworks()
	w.must(w.lab("up", "--auto-approve"))
	if r := w.lab("plan", "--detailed-exitcode"); r.code != 0 {
		t.Fatalf("plan after up: want exit 0, got:\n%s", r)
	}
	if made := w.hostNetworks(); made == before {
		t.Errorf("up made no host-only network:\n%s", made)
	}

	checks := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"cat", "/tmp/hello"}, "hello from a\n", 0},
		{[]string{"cat", "/etc/app.conf"}, "listen = 8080\n", 0},
		{[]string{"hostname"}, "a\n", 0},
		{[]string{"sh", "-c", "exit 7"}, "", 7},
		// Guest to guest over the host-only network, inside the simulator's
		// own namespaces.
		{[]string{"sudo", "-n", "ping", "-c", "1", "-W", "5", "192.168.56.12"}, "", 0},
	}
	for _, c := range checks {
		r := w.lab(append([]string{"exec", "a", "--"}, c.args...)...)
		if r.code != c.code || (c.want != "" && r.stdout != c.want) {
			t.Errorf("exec a -- %s: want exit %d and %q, got:\n%s",
				strings.Join(c.args, " "), c.code, c.want, r)
		}
	}

	// Every listener the simulated world holds is on 127.0.0.1.
	held := listeners(t)
	if len(held) == 0 {
		t.Errorf("no simulator listeners while the lab runs")
	}
	for _, l := range held {
		if !strings.HasPrefix(l, "127.0.0.1:") {
			t.Errorf("simulator listener not on 127.0.0.1: %s", l)
		}
	}

	w.must(w.lab("destroy", "--auto-approve"))
	if left := w.leftovers(); len(left) > 0 {
		t.Errorf("destroy left behind:\n%s", strings.Join(left, "\n"))
	}
	out := w.vbox("list", "vms")
	if strings.TrimSpace(out.stdout) != "" {
		t.Errorf("VMs left after destroy:\n%s", out.stdout)
	}
	if after := w.hostNetworks(); after != before {
		t.Errorf("host networks after destroy:\n%s\nwant as before up:\n%s", after, before)
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		c.Close()
		t.Errorf("forward port %d still listening after destroy", port)
	}
	if _, err := os.Stat(filepath.Join(w.dir, ".lab", "known_hosts")); err == nil {
		data, _ := os.ReadFile(filepath.Join(w.dir, ".lab", "known_hosts"))
		if strings.TrimSpace(string(data)) != "" {
			t.Errorf("host key pins left after destroy:\n%s", data)
		}
	}
}

// TestChangesTouchOnlyWhatDiffers checks, from the simulator's audit log,
// that hand changes are planned and reverted, that a memory change stops
// only its node while a new forward goes in live, that nodes are worked on
// in parallel, and that a refused plan changes nothing; on VirtualBox 7.x
// and on 6.1, whose VBoxManage knows only the old option spellings.
func TestChangesTouchOnlyWhatDiffers(t *testing.T) {
	for _, version := range []string{"7.1.4r165100", "6.1.50r161033"} {
		t.Run(version, func(t *testing.T) { changesTouchOnlyWhatDiffers(t, version) })
	}
}

func changesTouchOnlyWhatDiffers(t *testing.T, version string) {
	w := newWorld(t)
	w.env = append(w.env, "LAB_SIM_LATENCY=20ms", "LAB_SIM_VBOX_VERSION="+version)
	port, port2 := freePort(t), freePort(t)
	files := map[string]string{"files/app.conf": "x\n"}
	w.writeLabfile(labfile("1GiB", port, fmt.Sprintf(nodeB, "")), files)
	w.must(w.lab("up", "--auto-approve"))
	if !overlapping(w.audit(), "t-a", "t-b") {
		t.Errorf("no VBoxManage calls for t-a and t-b overlapped in time during up")
	}

	// By hand: a forward removed live on a, CPUs and memory changed on b.
	w.must(w.vbox("controlvm", "t-a", "natpf1", "delete", "web"))
	w.must(w.vbox("controlvm", "t-b", "poweroff"))
	w.must(w.vbox("modifyvm", "t-b", "--cpus", "3", "--memory", "2048"))
	w.must(w.vbox("startvm", "t-b", "--type", "headless"))
	r := w.lab("plan", "--detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("plan after hand changes: want exit 2, got:\n%s", r)
	}
	for _, want := range []string{"web", "cpus", "memory"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan after hand changes does not mention %s:\n%s", want, r.stdout)
		}
	}
	w.must(w.lab("up", "--auto-approve"))
	if r := w.lab("plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after reverting: want exit 0, got:\n%s", r)
	}
	info := w.must(w.vbox("showvminfo", "t-b", "--machinereadable")).stdout
	if !strings.Contains(info, "\nmemory=1024\n") || !strings.Contains(info, "\ncpus=1\n") {
		t.Errorf("hand change on t-b not reverted:\n%s", info)
	}

	// From the Labfile: more memory on a (needs stop), a forward on b (live).
	mark := len(w.audit())
	fwd := fmt.Sprintf("\n  forward \"api\" {\n    host  = %d\n    guest = 9000\n  }", port2)
	w.writeLabfile(labfile("2GiB", port, fmt.Sprintf(nodeB, fwd)), files)
	w.must(w.lab("up", "--auto-approve"))
	after := changing(w.audit()[mark:])
	verbs := map[string][]string{}
	for _, c := range after {
		if len(c.Argv) > 0 {
			verbs[c.Argv[0]] = append(verbs[c.Argv[0]], strings.Join(c.Argv, " "))
		}
	}
	for _, c := range after {
		line := strings.Join(c.Argv, " ")
		if strings.Contains(line, "t-b") && !strings.HasPrefix(line, "controlvm t-b natpf1 ") {
			t.Errorf("t-b touched beyond a live forward: %s", line)
		}
	}
	for _, want := range []string{"acpipowerbutton", "modifyvm", "startvm"} {
		found := false
		for _, l := range verbs["controlvm"] {
			found = found || strings.Contains(l, "t-a "+want)
		}
		for _, l := range verbs[want] {
			found = found || strings.Contains(l, "t-a")
		}
		if !found {
			t.Errorf("memory change on a: no %s call for t-a in %v", want, after)
		}
	}

	// A plan that destroys b, without a terminal and without
	// --auto-approve, is refused and changes nothing.
	mark = len(w.audit())
	w.writeLabfile(labfile("2GiB", port, ""), files)
	r = w.lab("up")
	if r.code != 1 {
		t.Errorf("up with a destroy and no approval: want exit 1, got:\n%s", r)
	}
	if c := changing(w.audit()[mark:]); len(c) > 0 {
		t.Errorf("refused plan made changing calls: %v", c)
	}
}

// overlapping reports whether a call naming vmA and one naming vmB ran at
// the same time.
func overlapping(calls []call, vmA, vmB string) bool {
	names := func(c call, vm string) bool {
		for _, a := range c.Argv {
			if a == vm {
				return true
			}
		}
		return false
	}
	for _, a := range calls {
		if !names(a, vmA) {
			continue
		}
		for _, b := range calls {
			if names(b, vmB) && a.Start.Before(b.End) && b.Start.Before(a.End) {
				return true
			}
		}
	}
	return false
}

// TestTakenPorts: a forward's host port held by another program is a plan
// error that changes nothing; a stopped VM whose SSH port was taken comes
// back on a new port and is reached there, not at the stranger's.
func TestTakenPorts(t *testing.T) {
	w := newWorld(t)
	port := freePort(t)
	files := map[string]string{"files/app.conf": "x\n"}
	w.writeLabfile(labfile("1GiB", port, ""), files)

	stranger, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	r := w.lab("up", "--auto-approve")
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("host port %d", port)) {
		t.Errorf("up with its forward's port taken: want exit 1 naming the port, got:\n%s", r)
	}
	if c := changing(w.audit()); len(c) > 0 {
		t.Errorf("refused plan made changing calls: %v", c)
	}
	stranger.Close()

	w.must(w.lab("up", "--auto-approve"))
	w.must(w.lab("stop", "a"))
	st := w.must(w.lab("status", "--json")).stdout
	old := sshPortOf(t, st, "a")
	taker, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", old))
	if err != nil {
		t.Fatal(err)
	}
	defer taker.Close()
	if r := w.lab("start", "a"); r.code != 1 {
		t.Errorf("start with the SSH port taken: want exit 1, got:\n%s", r)
	}
	w.must(w.lab("up", "--auto-approve"))
	if got := sshPortOf(t, w.must(w.lab("status", "--json")).stdout, "a"); got == old {
		t.Errorf("SSH port not moved off the taken %d", old)
	}
	if r := w.lab("exec", "a", "--", "hostname"); r.code != 0 || r.stdout != "a\n" {
		t.Errorf("exec after the move:\n%s", r)
	}
}

// sshPortOf reads a node's SSH port from `lab status --json`.
func sshPortOf(t *testing.T, statusJSON, node string) int {
	t.Helper()
	var st []struct {
		Node string `json:"node"`
		SSH  string `json:"ssh"`
	}
	if err := json.Unmarshal([]byte(statusJSON), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, statusJSON)
	}
	for _, n := range st {
		if n.Node == node {
			_, port, _ := strings.Cut(n.SSH, ":")
			p, _ := strconv.Atoi(port)
			return p
		}
	}
	t.Fatalf("node %s not in status:\n%s", node, statusJSON)
	return 0
}

// hostNetworks is VirtualBox's host-side network state: host-only
// interfaces, DHCP and NAT networks, and global extradata.
func (w *world) hostNetworks() string {
	var b strings.Builder
	for _, args := range [][]string{{"list", "hostonlyifs"}, {"list", "dhcpservers"},
		{"list", "natnets"}, {"getextradata", "global", "enumerate"}} {
		fmt.Fprintf(&b, "$ VBoxManage %s\n%s", strings.Join(args, " "), w.vbox(args...).stdout)
	}
	return b.String()
}
