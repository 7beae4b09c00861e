package plan_test

import (
	"reflect"
	"testing"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/plan/plantest"
	"github.com/labtool/lab/internal/spec"
)

func TestDiff(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs)
		want  []string
		moved bool // HasChanges
	}{
		{name: "converged", edit: func(*spec.Lab, *drivers.Live, *plan.Inputs) {}},
		{name: "empty host", moved: true,
			edit: func(_ *spec.Lab, live *drivers.Live, _ *plan.Inputs) {
				live.VMs, live.Networks = map[string]*drivers.VM{}, map[string]*drivers.Network{}
			},
			want: []string{
				": create network lan {type ->hostonly; cidr ->192.168.56.0/24}",
				"cp: create vm k8s-cp",
				"cp: start power k8s-cp",
				"cp: run guest-network cp",
				"cp: run step base",
				"cp: run step seed",
				"worker-1: create vm k8s-worker-1",
				"worker-1: start power k8s-worker-1",
				"worker-1: run guest-network worker-1",
				"worker-1: run step base",
				"worker-1: run step seed",
				": run cluster k8s {members ->cp (control plane), worker-1}",
			}},
		{name: "memory needs stop, forward live", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, _ *plan.Inputs) {
				lab.Nodes[0].MemoryMiB = 4096
				lab.Nodes[1].Forwards = []*spec.Forward{{Name: "api", Protocol: "tcp",
					HostIP: "127.0.0.1", HostPort: 16443, GuestPort: 16443}}
			},
			want: []string{
				"cp: stop power k8s-cp",
				"cp: update hardware k8s-cp [needs stop] {memory 2GiB->4GiB}",
				"cp: start power k8s-cp",
				"worker-1: create forward api [live] {rule ->tcp 127.0.0.1:16443 -> 16443}",
			}},
		{name: "stopped node starts, no stop for cpus", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, _ *plan.Inputs) {
				live.VMs["k8s-cp"].State = drivers.Stopped
				live.VMs["k8s-worker-1"].State = drivers.Saved
				live.VMs["k8s-cp"].CPUs = 1
			},
			want: []string{
				"cp: update hardware k8s-cp [needs stop] {cpus 1->2}",
				"cp: start power k8s-cp",
				"worker-1: start power k8s-worker-1",
			}},
		{name: "forward changed and extra by hand", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, _ *plan.Inputs) {
				vm := live.VMs["k8s-cp"]
				plantest.Forward(vm, "web").HostPort = 9090
				vm.Forwards = append(vm.Forwards, drivers.Forward{Name: "zz", Protocol: "udp",
					HostIP: "127.0.0.1", HostPort: 5353, GuestPort: 53})
			},
			want: []string{
				"cp: update forward web [live] {rule tcp 127.0.0.1:9090 -> 80->" +
					"tcp 127.0.0.1:8080 -> 80}",
				"cp: destroy forward zz [live] {rule udp 127.0.0.1:5353 -> 53->}",
			}},
		{name: "nic moved to another network and mac", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, _ *plan.Inputs) {
				nic := &live.VMs["k8s-worker-1"].NICs[1]
				nic.Kind, nic.Network, nic.Attachment, nic.MAC = "intnet", "", "other",
					"080027000001"
			},
			want: []string{
				"worker-1: stop power k8s-worker-1",
				"worker-1: update hardware k8s-worker-1 [needs stop] " +
					"{nic2 intnet other 08:00:27:00:00:01->hostonly lan " +
					spec.ColonMAC(spec.DeriveMAC(plantest.ID, "worker-1", 2)) + "}",
				"worker-1: start power k8s-worker-1",
			}},
		{name: "orphan destroyed", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, _ *plan.Inputs) {
				live.VMs["k8s-old"] = &drivers.VM{Name: "k8s-old", State: drivers.Running,
					Meta: map[string]string{drivers.MetaLab: "k8s", drivers.MetaNode: "old"}}
				live.VMs["other-x"] = &drivers.VM{Name: "other-x",
					Meta: map[string]string{drivers.MetaLab: "other"}}
			},
			want: []string{"old: stop power k8s-old", "old: destroy vm k8s-old"}},
		{name: "steps by policy", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				in.StepDigests["cp"]["base"] = "b2"
				in.StepDigests["cp"]["seed"] = "s2"
				lab.Nodes[1].Steps = append(lab.Nodes[1].Steps,
					&spec.Step{Name: "ping", Run: spec.RunAlways})
				in.StepDigests["worker-1"]["ping"] = "p1"
			},
			want: []string{"cp: run step base", "worker-1: run step ping (not a change)"}},
		{name: "always alone is not a change",
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				lab.Nodes[1].Steps = []*spec.Step{{Name: "ping", Run: spec.RunAlways}}
				in.StepDigests["worker-1"]["ping"] = "p1"
			},
			want: []string{"worker-1: run step ping (not a change)"}},
		{name: "guest network digest changed", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				in.NetDigests["cp"] = "n-cp2"
			},
			want: []string{"cp: run guest-network cp"}},
		{name: "cluster not formed on a worker", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				delete(live.VMs["k8s-worker-1"].Meta, plan.MetaCluster("k8s"))
			},
			want: []string{": run cluster k8s {members ->cp (control plane), worker-1}"}},
		{name: "targets leave out others, orphans and clusters", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				in.Targets = []string{"worker-1"}
				lab.Nodes[0].CPUs = 4
				delete(live.VMs, "k8s-worker-1")
				live.VMs["k8s-old"] = &drivers.VM{Name: "k8s-old",
					Meta: map[string]string{drivers.MetaLab: "k8s"}}
			},
			want: []string{
				"worker-1: create vm k8s-worker-1",
				"worker-1: start power k8s-worker-1",
				"worker-1: run guest-network worker-1",
				"worker-1: run step base",
				"worker-1: run step seed",
			}},
		{name: "replace when the driver cannot change nics", moved: true,
			edit: func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
				live.VMs["k8s-cp"].NICs = live.VMs["k8s-cp"].NICs[:1]
			},
			want: []string{
				"cp: replace vm k8s-cp [replace]",
				"cp: start power k8s-cp",
				"cp: run guest-network cp",
				"cp: run step base",
				"cp: run step seed",
				": run cluster k8s {members ->cp (control plane), worker-1}",
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lab := plantest.Lab()
			live := plantest.Converged(lab)
			in := plantest.Inputs()
			tc.edit(lab, live, &in)
			caps := plantest.Caps
			if tc.name == "replace when the driver cannot change nics" {
				caps.NICs = drivers.Replace
			}
			p, err := plan.Diff(lab, live, caps, in)
			if err != nil {
				t.Fatalf("plan.Diff: %v", err)
			}
			if got := plantest.Brief(p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("actions:\n got %q\nwant %q", got, tc.want)
			}
			if p.HasChanges() != tc.moved {
				t.Errorf("HasChanges = %v, want %v", p.HasChanges(), tc.moved)
			}
		})
	}
}

// The cluster action says which members have not joined and which joined
// under other cluster settings.
func TestClusterReason(t *testing.T) {
	cases := []struct {
		name string
		edit func(lab *spec.Lab, live *drivers.Live)
		want string
	}{
		{"a new member", func(_ *spec.Lab, live *drivers.Live) {
			delete(live.VMs["k8s-worker-1"].Meta, plan.MetaCluster("k8s"))
		}, "not joined yet: worker-1"},
		{"settings changed", func(lab *spec.Lab, _ *drivers.Live) {
			lab.Clusters[0].Addons = append(lab.Clusters[0].Addons, "ingress")
		}, "cluster settings changed since cp, worker-1 joined"},
		{"both", func(lab *spec.Lab, live *drivers.Live) {
			lab.Clusters[0].Addons = append(lab.Clusters[0].Addons, "ingress")
			delete(live.VMs["k8s-worker-1"].Meta, plan.MetaCluster("k8s"))
		}, "not joined yet: worker-1; cluster settings changed since cp joined"},
		{"a member's VM goes", func(lab *spec.Lab, live *drivers.Live) {
			old := *live.VMs["k8s-worker-1"]
			old.Name, old.Meta = "k8s-old", map[string]string{drivers.MetaLab: "k8s",
				drivers.MetaNode: "old", plan.MetaCluster("k8s"): "d"}
			live.VMs["k8s-old"] = &old
		}, "old leaving: VM no longer in the Labfile"},
		{"the API forward is made again", func(_ *spec.Lab, live *drivers.Live) {
			cp := live.VMs["k8s-cp"]
			var kept []drivers.Forward
			for _, f := range cp.Forwards {
				if f.Name != "api-k8s" {
					kept = append(kept, f)
				}
			}
			cp.Forwards = kept
		}, "the API forward changes: the kubeconfig follows it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lab := plantest.Lab()
			live := plantest.Converged(lab)
			c.edit(lab, live)
			p, err := plan.Diff(lab, live, plantest.Caps, plantest.Inputs())
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Clusters) != 1 || p.Clusters[0].Reason != c.want {
				t.Errorf("clusters %+v, want one with reason %q", p.Clusters, c.want)
			}
		})
	}
}

// A plan for some nodes leaves their cluster out and says so.
func TestPartialPlanWarnsOfCluster(t *testing.T) {
	lab := plantest.Lab()
	live := plantest.Converged(lab)
	delete(live.VMs, "k8s-worker-1")
	in := plantest.Inputs()
	in.Targets = []string{"worker-1"}
	p, err := plan.Diff(lab, live, plantest.Caps, in)
	if err != nil {
		t.Fatal(err)
	}
	want := "cluster k8s is left out of a plan for some nodes (worker-1 has not joined " +
		"it as the Labfile says); run `lab up` without nodes to form it"
	if len(p.Clusters) != 0 || !reflect.DeepEqual(p.Warnings, []string{want}) {
		t.Errorf("clusters %v, warnings %q", p.Clusters, p.Warnings)
	}
}

// A step that failed reruns and says so, whatever its run policy.
func TestFailedStepReruns(t *testing.T) {
	for _, run := range []string{spec.RunOnChange, spec.RunOnce} {
		t.Run(run, func(t *testing.T) {
			lab := plantest.Lab()
			live := plantest.Converged(lab)
			lab.Nodes[0].Steps[0].Run = run
			live.VMs["k8s-cp"].Meta[plan.MetaStep("base")] = plan.StepFailed
			p, err := plan.Diff(lab, live, plantest.Caps, plantest.Inputs())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			p.Actions(func(node string, a *plan.Action) {
				if a.Object == plan.ObjStep {
					got = append(got, node+": "+a.Name+" ("+a.Reason+")")
				}
			})
			if want := []string{"cp: base (failed last time)"}; !reflect.DeepEqual(got, want) {
				t.Errorf("steps %q, want %q", got, want)
			}
		})
	}
}
