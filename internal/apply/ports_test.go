package apply

import (
	"reflect"
	"testing"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan/plantest"
)

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
	got, err := PickPorts(lab, live, func(p int) bool { return p != 2225 && p != 16443 })
	if err != nil {
		t.Fatal(err)
	}
	want := Ports{SSH: map[string]int{"worker-1": 2227}, API: map[string]int{"k8s": 16444}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ports %v, want %v", got, want)
	}
}
