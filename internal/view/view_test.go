package view

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/plan/plantest"
	"github.com/labtool/lab/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// plans are representative plans of the fixture lab, by golden name.
func plans(t *testing.T) map[string]*plan.Plan {
	t.Helper()
	mk := func(edit func(*spec.Lab, *drivers.Live, *plan.Inputs)) *plan.Plan {
		lab := plantest.Lab()
		live := plantest.Converged(lab)
		in := plantest.Inputs()
		edit(lab, live, &in)
		p, err := plan.Diff(lab, live, plantest.Caps, in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	converged := plantest.Converged(plantest.Lab())
	destroy, err := plan.DestroyPlan(plantest.Lab(), converged, plantest.ID, nil,
		[]*drivers.Network{converged.Networks["lan"]})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*plan.Plan{
		"create": mk(func(_ *spec.Lab, live *drivers.Live, _ *plan.Inputs) {
			live.VMs, live.Networks = map[string]*drivers.VM{}, map[string]*drivers.Network{}
		}),
		"update": mk(func(lab *spec.Lab, live *drivers.Live, in *plan.Inputs) {
			lab.Nodes[0].MemoryMiB = 4096
			lab.Nodes[0].Forwards[0].HostPort = 443
			lab.Sensitive = []string{"443"}
			in.Root = true
			vm := live.VMs["k8s-worker-1"]
			vm.Forwards = append(vm.Forwards, drivers.Forward{Name: "old", Protocol: "udp",
				HostIP: "127.0.0.1", HostPort: 5353, GuestPort: 53})
			vm.State = drivers.Stopped
			lab.Nodes[1].Steps = append(lab.Nodes[1].Steps,
				&spec.Step{Name: "ping", Run: spec.RunAlways})
			in.StepDigests["worker-1"]["ping"] = "p"
		}),
		"nochange": mk(func(*spec.Lab, *drivers.Live, *plan.Inputs) {}),
		"destroy":  destroy,
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestPlanGoldens(t *testing.T) {
	for name, p := range plans(t) {
		var text, js bytes.Buffer
		if err := PlanText(&text, p, NewStyle(false)); err != nil {
			t.Fatal(err)
		}
		if err := PlanJSON(&js, p); err != nil {
			t.Fatal(err)
		}
		golden(t, name+".txt", text.Bytes())
		golden(t, name+".json", js.Bytes())
	}
}

func TestPlanTextColourOnlyWhenAsked(t *testing.T) {
	p := plans(t)["update"]
	var plain, colour bytes.Buffer
	PlanText(&plain, p, NewStyle(false))
	PlanText(&colour, p, NewStyle(true))
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) {
		t.Error("plain text has escape codes")
	}
	if !bytes.Contains(colour.Bytes(), []byte("\x1b[33m")) {
		t.Error("coloured text has no yellow")
	}
}

func TestUseColor(t *testing.T) {
	cases := []struct {
		tty  bool
		env  map[string]string
		want bool
	}{
		{true, map[string]string{"TERM": "xterm"}, true},
		{false, map[string]string{"TERM": "xterm"}, false},
		{true, map[string]string{"TERM": "dumb"}, false},
		{true, map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, false},
	}
	for _, c := range cases {
		if got := UseColor(c.tty, func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("UseColor(%v, %v) = %v", c.tty, c.env, got)
		}
	}
}

func TestProgressLines(t *testing.T) {
	events := []apply.Event{
		{Node: "cp", Object: "vm", Name: "k8s-cp", Kind: plan.Create, Phase: apply.Started},
		{Node: "cp", Object: "vm", Name: "k8s-cp", Kind: plan.Create, Phase: apply.Still,
			Elapsed: 10 * time.Second},
		{Node: "cp", Object: "vm", Name: "k8s-cp", Kind: plan.Create, Phase: apply.Done,
			Elapsed: 12400 * time.Millisecond},
		{Node: "cp", Object: "ssh", Name: "127.0.0.1:2222", Kind: apply.WaitSSH,
			Phase: apply.Started},
		{Node: "cp", Phase: apply.Output, Msg: "Reading package lists..."},
		{Node: "cp", Object: "step", Name: "base", Kind: plan.Run, Phase: apply.Failed,
			Err: "exit status 100"},
		{Object: "cluster", Name: "k8s", Kind: plan.Run, Phase: apply.Skipped,
			Msg: "not formed: members failed: cp"},
	}
	for _, fancy := range []bool{false, true} {
		var b bytes.Buffer
		pr := NewProgress(&b, fancy)
		for _, e := range events {
			pr.Event(e)
		}
		name := "progress-plain.txt"
		if fancy {
			name = "progress-tty.txt"
		}
		golden(t, name, b.Bytes())
	}
}
