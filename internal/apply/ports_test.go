package apply

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/plan/plantest"
)

// base2222 is a lab id whose SSH ports start at 2222.
const base2222 = "0000000000000021"

// Lab ids spread the SSH port bases over 2222-3212, ten ports apart.
func TestSSHPortBase(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 50; i++ {
		b := SSHPortBase(fmt.Sprintf("%016x", i*7919))
		if b < 2222 || b > 3212 || (b-2222)%10 != 0 {
			t.Fatalf("base %d out of the range", b)
		}
		seen[b] = true
	}
	if len(seen) < 25 {
		t.Errorf("50 lab ids share %d bases", len(seen))
	}
	if b := SSHPortBase(base2222); b != 2222 {
		t.Errorf("base of %s = %d, want 2222", base2222, b)
	}
}

func TestPickPorts(t *testing.T) {
	lab := plantest.Lab()
	live := plantest.Converged(lab)
	// cp keeps its recorded port; worker-1 is new. 2222 and 2223 are the
	// live VMs' ports, 2224 is another lab VM's forward, 2225 is taken on
	// the host, 2226 is a Labfile forward.
	delete(live.VMs, "k8s-worker-1")
	live.VMs["k8s-old"] = &drivers.VM{Name: "k8s-old", Forwards: []drivers.Forward{
		{Name: "x", HostPort: 2224}, {Name: "ssh", HostPort: 2223}}}
	lab.Nodes[1].Forwards = []*drivers.Forward{{Name: "y", HostPort: 2226}}
	// The cluster's API forward is gone from cp, and 16443 is taken.
	live.VMs["k8s-cp"].Forwards = live.VMs["k8s-cp"].Forwards[1:]
	got, err := PickPorts(lab, live, base2222, func(p int) bool { return p != 2225 && p != 16443 })
	if err != nil {
		t.Fatal(err)
	}
	want := Ports{SSH: map[string]int{"worker-1": 2227}, API: map[string]int{"k8s": 16444}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ports %v, want %v", got, want)
	}
}

// TestPickPortsMovesTakenSSHPort: a stopped VM whose SSH port another
// program took gets a new one; a running VM keeps its own.
func TestPickPortsMovesTakenSSHPort(t *testing.T) {
	lab := plantest.Lab()
	live := plantest.Converged(lab)
	cp, w1 := live.VMs["k8s-cp"], live.VMs["k8s-worker-1"]
	cp.State = drivers.Stopped
	taken := map[int]bool{plan.SSHPort(cp): true, plan.SSHPort(w1): true}
	got, err := PickPorts(lab, live, plantest.ID, func(p int) bool { return !taken[p] })
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := got.SSH["cp"]; !ok || p == plan.SSHPort(cp) || taken[p] {
		t.Errorf("stopped cp's taken SSH port not moved: %v", got.SSH)
	}
	if _, ok := got.SSH["worker-1"]; ok {
		t.Errorf("running worker-1's SSH port moved: %v", got.SSH)
	}
}

func TestCheckForwardPorts(t *testing.T) {
	lab := plantest.Lab()
	live := plantest.Converged(lab)
	lab.Nodes[0].Forwards = []*drivers.Forward{
		{Name: "web", Protocol: "tcp", HostPort: 18080, GuestPort: 80},
		{Name: "dns", Protocol: "udp", HostPort: 18053, GuestPort: 53}}
	busy := func(p int) bool { return p != 18080 && p != 18053 }
	cases := []struct {
		name  string
		state drivers.State
		held  bool // the live VM already forwards 18080
		want  string
	}{
		{"running VM holds it", drivers.Running, true, ""},
		{"stopped VM", drivers.Stopped, true, `node "cp", forward "web": host port 18080 on ` +
			"127.0.0.1 is in use by another program; free it or change the forward's host"},
		{"new forward on a running VM", drivers.Running, false, `node "cp", forward "web"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vm := live.VMs["k8s-cp"]
			vm.State = c.state
			vm.Forwards = nil
			if c.held {
				vm.Forwards = []drivers.Forward{{Name: "web", Protocol: "tcp", HostPort: 18080}}
			}
			err := CheckForwardPorts(lab, lab.Nodes, live, busy)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
				t.Errorf("error %v, want it to start with %q", err, c.want)
			}
		})
	}
}

// A Labfile forward may not take the host port of one of lab's own
// forwards, on its node or another: VirtualBox would refuse the rule, or
// the forward would go to the wrong guest.
func TestCheckForwardPortsRefusesLabOwn(t *testing.T) {
	cases := []struct {
		name string
		node int
		port int
		want string
	}{
		{"API forward of its node", 0, 16443, `node "cp", forward "web": host port 16443 ` +
			`is lab's own API forward "api-k8s" on node "cp"; choose another host port`},
		{"SSH forward of another node", 1, 2222, `node "worker-1", forward "web": host ` +
			`port 2222 is lab's own SSH forward of node "cp"; choose another host port`},
		{"a free port", 1, 18080, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lab := plantest.Lab()
			live := plantest.Converged(lab)
			for _, n := range lab.Nodes {
				n.Forwards = nil
			}
			lab.Nodes[c.node].Forwards = []*drivers.Forward{
				{Name: "web", Protocol: "tcp", HostPort: c.port, GuestPort: 80}}
			err := CheckForwardPorts(lab, lab.Nodes, live, func(int) bool { return true })
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("error %q, want %q", got, c.want)
			}
		})
	}
}

func TestCheckLabID(t *testing.T) {
	lab := plantest.Lab()
	tests := []struct {
		name string
		ids  map[string]string // VM -> its recorded lab id
		want string
	}{
		{"same lab", map[string]string{"k8s-cp": plantest.ID}, ""},
		{"no id recorded", map[string]string{"k8s-cp": ""}, ""},
		{"another copy", map[string]string{"k8s-cp": "feedfeedfeedfeed",
			"k8s-worker-1": "feedfeedfeedfeed"}, "VMs k8s-cp, k8s-worker-1 belong to another " +
			"copy of lab \"k8s\" (lab id feedfeedfeedfeed; this folder's .lab/id is " +
			plantest.ID + "): lab leaves them alone; work from the folder that made them, " +
			"or give this Labfile another lab name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := plantest.Converged(lab)
			for vm, id := range tt.ids {
				live.VMs[vm].Meta[drivers.MetaLabID] = id
			}
			got := ""
			if err := CheckLabID(lab, live, plantest.ID); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
