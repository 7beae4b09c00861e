package guest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/labtool/lab/sim/vboxstate"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if labsimBin != "" {
		os.RemoveAll(filepath.Dir(labsimBin))
	}
	os.Exit(code)
}

// hostView is what a guest may leave behind on the host.
type hostView struct {
	netns, links, listeners, mounts, procs []string
}

// scope limits a snapshot to what one test's simulator could have made,
// so tests of other packages running at the same time do not disturb it.
type scope struct {
	s     *sim
	ports []int
	pidns map[string]bool // PID namespaces of this test's guests
}

// notePidNS records the PID namespaces of the guests now running.
func (sc *scope) notePidNS(t *testing.T) {
	t.Helper()
	runs, _ := filepath.Glob(filepath.Join(sc.s.home, "vm", "*", "run.json"))
	for _, p := range runs {
		data, _ := os.ReadFile(p)
		var info RunInfo
		if json.Unmarshal(data, &info) == nil {
			ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", info.GuestPid))
			if err == nil {
				sc.pidns[ns] = true
			}
		}
	}
	if len(sc.pidns) == 0 {
		t.Fatal("no running guest found to watch")
	}
}

func (sc *scope) mine(line string) bool {
	if strings.Contains(line, sc.s.home) || strings.Contains(line, sc.s.names.HostNS()) {
		return true
	}
	for _, p := range sc.ports {
		if strings.Contains(line, fmt.Sprintf(":%d ", p)) {
			return true
		}
	}
	return false
}

func filter(ls []string, keep func(string) bool) []string {
	var out []string
	for _, l := range ls {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}

func snapshot(t *testing.T, sc *scope) hostView {
	t.Helper()
	lines := func(name string, args ...string) []string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		var ls []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" {
				ls = append(ls, l)
			}
		}
		sort.Strings(ls)
		return ls
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var mps []string
	for _, l := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(l); len(f) > 4 {
			mps = append(mps, f[4])
		}
	}
	sort.Strings(mps)
	return hostView{
		netns:     filter(lines(ipBin, "netns", "list"), sc.mine),
		links:     names(lines(ipBin, "-o", "link", "show")),
		listeners: filter(lines("ss", "-ltnuH"), func(l string) bool { return sc.mine(l + " ") }),
		mounts:    filter(mps, sc.mine),
		procs:     foreignProcs(sc.pidns),
	}
}

// names keeps the interface names of `ip -o link` lines.
func names(ls []string) []string {
	var out []string
	for _, l := range ls {
		if f := strings.Fields(l); len(f) > 1 {
			out = append(out, f[1])
		}
	}
	sort.Strings(out)
	return out
}

// foreignProcs lists processes running this test's labsim or living in
// one of the guests' PID namespaces.
func foreignProcs(pidns map[string]bool) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		ns, err := os.Readlink("/proc/" + e.Name() + "/ns/pid")
		exe, _ := os.Readlink("/proc/" + e.Name() + "/exe")
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			continue
		}
		if pidns[ns] || (labsimBin != "" && exe == labsimBin) {
			out = append(out, fmt.Sprintf("%s %s", e.Name(), exe))
		}
	}
	sort.Strings(out)
	return out
}

func sameView(t *testing.T, before, after hostView) {
	t.Helper()
	for _, c := range []struct {
		what string
		b, a []string
	}{
		{"network namespaces", before.netns, after.netns},
		{"links", before.links, after.links},
		{"listeners", before.listeners, after.listeners},
		{"mounts", before.mounts, after.mounts},
		{"processes", before.procs, after.procs},
	} {
		if strings.Join(c.b, "\n") != strings.Join(c.a, "\n") {
			t.Errorf("%s changed:\nbefore:\n%s\nafter:\n%s", c.what,
				strings.Join(c.b, "\n"), strings.Join(c.a, "\n"))
		}
	}
}

func TestTeardownLeavesNothing(t *testing.T) {
	needRoot(t)
	fixtures(t)
	portA, portB := freePort(t), freePort(t)
	s := newSim(t, &vboxstate.World{
		Machines: []*vboxstate.Machine{
			machineWith(uuidA, "0800270A0F", portA,
				vboxstate.NIC{Type: "hostonly", Attach: "vboxnet0", MAC: "0800270A0F02", Cable: true},
				vboxstate.NIC{Type: "intnet", Attach: "lab", MAC: "0800270A0F03", Cable: true}),
			machineWith(uuidB, "0800270B0F", portB,
				vboxstate.NIC{Type: "natnetwork", Attach: "nn", MAC: "0800270B0F02", Cable: true}),
		},
		HostOnly: []*vboxstate.HostOnlyIf{{Name: "vboxnet0", IP: "192.168.56.1",
			Netmask: "255.255.255.0"}},
		NATNets: []*vboxstate.NATNet{{Name: "nn", Network: "10.0.9.0/24", Enabled: true,
			DHCP: true}},
	})
	sc := &scope{s: s, ports: []int{portA, portB}, pidns: map[string]bool{}}
	before := snapshot(t, sc)
	s.start(uuidA)
	s.start(uuidB)
	a, b := dial(t, portA), dial(t, portB)
	run(t, a, "sleep 300 >/dev/null 2>&1 &")
	a.Close()
	b.Close()
	sc.notePidNS(t)
	during := snapshot(t, sc)
	if len(during.procs) < 4 || len(during.listeners) != 2 {
		t.Errorf("running: processes %v, listeners %v", during.procs, during.listeners)
	}
	if len(during.netns) != len(before.netns)+5 {
		t.Errorf("running: %d namespaces, want %d (host side, 2 guests, 2 NAT engines)",
			len(during.netns), len(before.netns)+5)
	}
	s.signal(uuidA, unix.SIGTERM)
	s.wait(uuidA)
	s.update(func(w *vboxstate.World) { w.Machine(uuidB).ACPIRequested = true })
	s.signal(uuidB, unix.SIGUSR1)
	s.wait(uuidB)
	sameView(t, before, snapshot(t, sc))
}

func TestResetAfterKill(t *testing.T) {
	needRoot(t)
	fixtures(t)
	port := freePort(t)
	s := newSim(t, &vboxstate.World{Machines: []*vboxstate.Machine{
		machineWith(uuidA, "0800270A10", port,
			vboxstate.NIC{Type: "bridged", Attach: "eth0", MAC: "0800270A1002", Cable: true})}})
	sc := &scope{s: s, ports: []int{port}, pidns: map[string]bool{}}
	before := snapshot(t, sc)
	s.start(uuidA)
	dial(t, port).Close()
	sc.notePidNS(t)
	s.signal(uuidA, unix.SIGKILL)
	s.wait(uuidA)
	reset := exec.Command(labsimBin, "reset")
	reset.Env = append(os.Environ(), "LAB_SIM_HOME="+s.home)
	if out, err := reset.CombinedOutput(); err != nil {
		t.Fatalf("labsim reset: %v: %s", err, out)
	}
	if m := s.machine(uuidA); m.State != "poweroff" || m.VMPid != 0 {
		t.Errorf("after reset: state %q pid %d, want poweroff 0", m.State, m.VMPid)
	}
	sameView(t, before, snapshot(t, sc))
}
