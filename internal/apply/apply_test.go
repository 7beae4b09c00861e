package apply

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/plan/plantest"
	"github.com/labtool/lab/internal/spec"
)

// setup plans the fixture lab after edit and returns what Apply needs.
func setup(t *testing.T, edit func(*spec.Lab, *drivers.Live)) (*plan.Plan, Options,
	*recorder, *[]Event) {
	t.Helper()
	lab := plantest.Lab()
	live := plantest.Converged(lab)
	edit(lab, live)
	p, err := plan.Diff(lab, live, plantest.Caps, plantest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{fail: map[string]error{}}
	var mu sync.Mutex
	events := &[]Event{}
	o := Options{Lab: lab, Driver: fakeDriver{rec}, Guests: fakeGuests{rec, lab.Name},
		Events: func(e Event) { mu.Lock(); *events = append(*events, e); mu.Unlock() }}
	return p, o, rec, events
}

func TestMemoryChangeTouchesOnlyThatNode(t *testing.T) {
	p, o, rec, _ := setup(t, func(lab *spec.Lab, _ *drivers.Live) {
		lab.Nodes[0].MemoryMiB = 4096
		lab.Nodes[1].Forwards = []*spec.Forward{{Name: "api", Protocol: "tcp",
			HostIP: "127.0.0.1", HostPort: 16443, GuestPort: 16443}}
	})
	if err := Apply(context.Background(), p, o); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.of("k8s-cp"), []string{"Stop", "SetHardware cpus=2 mem=4096 nics=2",
		"Start"}; !reflect.DeepEqual(got, want) {
		t.Errorf("cp calls %q, want %q", got, want)
	}
	want := []string{"AddForward api 16443->16443"}
	if got := rec.of("k8s-worker-1"); !reflect.DeepEqual(got, want) {
		t.Errorf("worker calls %q, want %q", got, want)
	}
	if n := len(rec.all()); n != 4 {
		t.Errorf("%d calls in all: %q", n, rec.all())
	}
}

func TestCreateFromNothing(t *testing.T) {
	p, o, rec, events := setup(t, func(_ *spec.Lab, live *drivers.Live) {
		live.VMs, live.Networks = map[string]*drivers.VM{}, map[string]*drivers.Network{}
	})
	if err := Apply(context.Background(), p, o); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Seed",
		"Create nics=2 forwards=api-k8s=16443,ssh=2222,web=8080 seed=/seeds/cp.iso " +
			"meta=id=" + plantest.ID + ",lab=k8s,node=cp,ssh-port=2222",
		"Start",
		"Connect 2222",
		"ConfigureNetwork",
		"SetMeta hash/network=n-cp",
		"RunStep base",
		"SetMeta hash/step/base=b1",
		"RunStep seed",
		"SetMeta hash/step/seed=s1",
		"SetMeta hash/cluster/k8s=" + plan.ClusterDigest(o.Lab.Clusters[0]),
	}
	if got := rec.of("k8s-cp"); !reflect.DeepEqual(got, want) {
		t.Errorf("cp calls:\n got %q\nwant %q", got, want)
	}
	all := rec.all()
	if all[0] != "net lan: EnsureNetwork" {
		t.Errorf("first call %q, want the network", all[0])
	}
	if last := all[len(all)-3]; last != "cluster k8s: FormCluster api=16443" {
		t.Errorf("cluster call %q, want it after the nodes with the API port", last)
	}
	var out []string
	for _, e := range *events {
		if e.Phase == Output && e.Node == "cp" {
			out = append(out, e.Msg)
		}
	}
	wantOut := []string{"hello from base", "partial", "hello from seed", "partial",
		"cluster formed"}
	if !reflect.DeepEqual(out, wantOut) {
		t.Errorf("cp output %q, want %q", out, wantOut)
	}
}

func TestNodeFailureLetsOthersFinish(t *testing.T) {
	p, o, rec, events := setup(t, func(_ *spec.Lab, live *drivers.Live) {
		delete(live.VMs["k8s-cp"].Meta, plan.MetaStep("base"))
		delete(live.VMs["k8s-worker-1"].Meta, plan.MetaStep("base"))
		delete(live.VMs["k8s-worker-1"].Meta, plan.MetaCluster("k8s"))
	})
	rec.fail["k8s-cp: RunStep base"] = errors.New("exit status 3")
	err := Apply(context.Background(), p, o)
	want := "node cp, step base: exit status 3\n" +
		"cluster k8s: not formed: members failed: cp"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}
	if got := rec.of("k8s-worker-1"); !reflect.DeepEqual(got, []string{"Connect 2223",
		"RunStep base", "SetMeta hash/step/base=b1"}) {
		t.Errorf("worker calls %q", got)
	}
	if got := rec.of("cluster k8s"); got != nil {
		t.Errorf("cluster formed despite the failure: %q", got)
	}
	// The failed step is recorded as failed, for the next plan's reason.
	if got, want := rec.of("k8s-cp"), "SetMeta hash/step/base=failed"; len(got) == 0 ||
		got[len(got)-1] != want {
		t.Errorf("cp calls %q, want the last to be %q", got, want)
	}
	var skipped []string
	for _, e := range *events {
		if e.Phase == Skipped {
			skipped = append(skipped, e.Object+" "+e.Name)
		}
	}
	if !reflect.DeepEqual(skipped, []string{"cluster k8s"}) {
		t.Errorf("skipped %q", skipped)
	}
}

func TestInterruptStartsNothing(t *testing.T) {
	p, o, rec, _ := setup(t, func(lab *spec.Lab, _ *drivers.Live) {
		lab.Nodes[0].CPUs, lab.Nodes[1].CPUs = 4, 4
	})
	stop := make(chan struct{})
	close(stop)
	o.Stopping = stop
	err := Apply(context.Background(), p, o)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("error %v, want interrupted", err)
	}
	if calls := rec.all(); len(calls) != 0 {
		t.Errorf("calls after interrupt: %q", calls)
	}
}

// TestNodesOverlap holds every node's first call until all nodes have made
// theirs: a serial apply never gets past the gate.
func TestNodesOverlap(t *testing.T) {
	p, o, rec, _ := setup(t, func(lab *spec.Lab, _ *drivers.Live) {
		lab.Nodes[0].CPUs, lab.Nodes[1].CPUs = 4, 4
	})
	var arrived sync.WaitGroup
	arrived.Add(2)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	var once [2]sync.Once
	rec.gate = func(call string) {
		i := map[string]int{"k8s-cp: Stop": 0, "k8s-worker-1: Stop": 1}
		if k, ok := i[call]; ok {
			once[k].Do(arrived.Done)
			select {
			case <-all:
			case <-time.After(time.Minute):
				t.Errorf("%s waited a minute for the other node: nodes ran one by one", call)
			}
		}
	}
	if err := Apply(context.Background(), p, o); err != nil {
		t.Fatal(err)
	}
}

func TestSSHWaitFailureNamesNodeAndStep(t *testing.T) {
	p, o, rec, _ := setup(t, func(_ *spec.Lab, live *drivers.Live) {
		delete(live.VMs["k8s-worker-1"].Meta, plan.MetaNetwork)
	})
	rec.fail["k8s-worker-1: Connect 2223"] = errors.New("no answer on 127.0.0.1:2223 " +
		"within 5m0s; check the VM console log")
	err := Apply(context.Background(), p, o)
	want := "node worker-1, wait for SSH: no answer on 127.0.0.1:2223 within 5m0s; " +
		"check the VM console log"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}
	if got := rec.of("k8s-worker-1"); len(got) != 1 {
		t.Errorf("calls after a failed wait: %q", got)
	}
}

// A whole-lab destroy removes its network after the VMs, and never while a
// VM that may still be attached failed to go.
func TestDestroyRemovesNetworkLast(t *testing.T) {
	tests := []struct {
		name string
		fail string // call that fails
		want []string
	}{
		{"all VMs gone", "", []string{"k8s-cp: Delete", "k8s-cp: Forget", "k8s-cp: Stop",
			"k8s-worker-1: Delete", "k8s-worker-1: Forget", "net lan: RemoveNetwork vboxnet0"}},
		{"a VM stays", "k8s-worker-1: Delete", []string{"k8s-cp: Delete", "k8s-cp: Forget",
			"k8s-cp: Stop", "k8s-worker-1: Delete"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab := plantest.Lab()
			live := plantest.Converged(lab)
			live.VMs["k8s-worker-1"].State = drivers.Stopped
			p, err := plan.DestroyPlan(lab, live, plantest.ID, nil,
				[]*drivers.Network{live.Networks["lan"]})
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{fail: map[string]error{}}
			if tt.fail != "" {
				rec.fail[tt.fail] = errors.New("locked")
			}
			o := Options{Lab: lab, Driver: fakeDriver{rec}, Guests: fakeGuests{rec, lab.Name}}
			err = Apply(context.Background(), p, o)
			if (err != nil) != (tt.fail != "") {
				t.Errorf("error %v", err)
			}
			// The nodes run in parallel; the network, if removed, comes last.
			got := rec.all()
			sort.Strings(got[:len(got)-1])
			if tt.fail != "" {
				sort.Strings(got)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("calls:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
