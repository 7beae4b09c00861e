package plan_test

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/plan/plantest"
	"github.com/labtool/lab/internal/spec"
)

func TestDiffErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs)
		want string
	}{
		{name: "same-name VM not ours",
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				live.VMs["k8s-cp"].Meta = map[string]string{}
			},
			want: `VM "k8s-cp" exists but is not marked as lab "k8s"'s: lab leaves it alone; ` +
				`rename or delete it, or rename node "cp"`},
		{name: "two problems at once",
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				live.VMs["k8s-cp"].Meta = map[string]string{drivers.MetaLab: "other"}
				live.VMs["k8s-worker-1"].State = drivers.Other
			},
			want: `VM "k8s-cp" exists but is not marked as lab "k8s"'s: lab leaves it alone; ` +
				`rename or delete it, or rename node "cp"` + "\n" +
				`VM "k8s-worker-1" (node "worker-1") is other: lab acts only on running, ` +
				`stopped or saved VMs; run again once it has settled`},
		{name: "unknown target",
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				in.Targets = []string{"nope"}
			},
			want: `no node "nope" in the Labfile`},
		{name: "low port without root",
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				lab.Nodes[0].Forwards[0].HostPort = 80
				in.HostOS = "darwin"
			},
			want: `node "cp" forward "web": host port 80 is below 1024, which VirtualBox ` +
				`can bind on darwin only when it runs as root; the VM would not start: ` +
				`run lab as root or use a port of 1024 or more`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lab := plantest.Lab()
			live := plantest.Converged(lab)
			in := plantest.Inputs()
			tc.edit(lab, live, &in)
			p, err := plan.Diff(lab, live, plantest.Caps, in)
			if err == nil {
				t.Fatalf("plan.Diff made a plan: %q", plantest.Brief(p))
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestLowPortWarnings(t *testing.T) {
	for _, tc := range []struct {
		os   string
		root bool
		want []string
	}{
		{"windows", false, nil},
		{"linux", true, []string{`node "cp" forward "web": host port 443 is below 1024, ` +
			`which VirtualBox can bind on linux only when it runs as root (it does here)`}},
	} {
		lab := plantest.Lab()
		lab.Nodes[0].Forwards[0].HostPort = 443
		in := plantest.Inputs()
		in.HostOS, in.Root = tc.os, tc.root
		p, err := plan.Diff(lab, plantest.Converged(plantest.Lab()), plantest.Caps, in)
		if err != nil {
			t.Fatalf("%s: %v", tc.os, err)
		}
		if !reflect.DeepEqual(p.Warnings, tc.want) {
			t.Errorf("%s: warnings %q, want %q", tc.os, p.Warnings, tc.want)
		}
	}
}

func TestRouteOrder(t *testing.T) {
	lan := &spec.Network{Name: "lan", Type: spec.NetHostOnly}
	n := &spec.Node{NICs: []*spec.NIC{
		{Name: "static", Slot: 2, Network: lan, DefaultRoute: true,
			Address: netip.MustParsePrefix("192.168.56.10/24")},
		{Name: "home", Slot: 3, Network: lan, DefaultRoute: true},
		{Name: "quiet", Slot: 4, Network: lan, DefaultRoute: false},
		{Name: "gw", Slot: 5, Network: lan, DefaultRoute: true,
			Address: netip.MustParsePrefix("10.9.0.5/24"), Gateway: netip.MustParseAddr("10.9.0.1")},
		{Name: "home2", Slot: 6, Network: lan, DefaultRoute: true},
	}}
	metrics := map[int]int{1: 100, 3: 10, 5: 11, 6: 12}
	want := []plan.Route{{"home", 3, 10, "dhcp"}, {"gw", 5, 11, "10.9.0.1"},
		{"home2", 6, 12, "dhcp"}, {"nat", 1, 100, "dhcp"}}
	if got := plan.RouteOrder(n, metrics); !reflect.DeepEqual(got, want) {
		t.Errorf("plan.RouteOrder = %+v, want %+v", got, want)
	}
}

func TestSensitiveMasked(t *testing.T) {
	lab := plantest.Lab()
	lab.Sensitive = []string{"8080"}
	live := plantest.Converged(plantest.Lab())
	plantest.Forward(live.VMs["k8s-cp"], "web").HostPort = 9090
	p, err := plan.Diff(lab, live, plantest.Caps, plantest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	got := p.Nodes[0].Actions[0].Changes[0].New
	if got != "tcp 127.0.0.1:(sensitive) -> 80" {
		t.Errorf("change shows %q", got)
	}
}

func TestDestroyAndPowerPlans(t *testing.T) {
	lab := plantest.Lab()
	live := plantest.Converged(lab)
	live.VMs["k8s-worker-1"].State = drivers.Stopped
	removable := []*drivers.Network{live.Networks["lan"]}
	d, err := plan.DestroyPlan(lab, live, plantest.ID, nil, removable)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{": destroy network lan {type hostonly->; attachment vboxnet0->}",
		"cp: stop power k8s-cp", "cp: destroy vm k8s-cp", "worker-1: destroy vm k8s-worker-1"}
	if got := plantest.Brief(d); !reflect.DeepEqual(got, want) {
		t.Errorf("destroy: %q, want %q", got, want)
	}
	// Destroying some nodes never takes a network with them.
	d, err = plan.DestroyPlan(lab, live, plantest.ID, []string{"worker-1"}, removable)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"worker-1: destroy vm k8s-worker-1"}
	if got := plantest.Brief(d); !reflect.DeepEqual(got, want) {
		t.Errorf("destroy worker-1: %q, want %q", got, want)
	}
	s, err := plan.PowerPlan(lab, live, plantest.ID, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"worker-1: start power k8s-worker-1"}
	if got := plantest.Brief(s); !reflect.DeepEqual(got, want) {
		t.Errorf("start: %q", got)
	}
	if _, err := plan.PowerPlan(lab, live, plantest.ID, []string{"ghost"}, false); err == nil ||
		err.Error() != `no node "ghost" in the Labfile` {
		t.Errorf("stop ghost: %v", err)
	}
}
