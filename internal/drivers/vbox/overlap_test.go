package vbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labtool/lab/internal/runner"
	"github.com/labtool/lab/internal/spec"
)

// gateRunner holds every call of the gated subcommands (showvminfo when
// none are named) until n of them are in flight, so a driver that makes
// them one by one never gets past the gate.
type gateRunner struct {
	*runner.Fake
	n       int
	gated   []string
	mu      sync.Mutex
	arrived int
	open    chan struct{}
}

func (g *gateRunner) Run(ctx context.Context, argv []string) (runner.Result, error) {
	gated := g.gated
	if gated == nil {
		gated = []string{"showvminfo"}
	}
	if len(argv) > 1 && slices.Contains(gated, argv[1]) {
		g.mu.Lock()
		g.arrived++
		if g.arrived == g.n {
			close(g.open)
		}
		g.mu.Unlock()
		select {
		case <-g.open:
		case <-time.After(30 * time.Second): // a guard against hanging, not a measurement
			return runner.Result{}, fmt.Errorf("%s calls did not overlap",
				strings.Join(gated, " and "))
		}
	}
	return g.Fake.Run(ctx, argv)
}

func TestInspectReadsVMsConcurrently(t *testing.T) {
	f := &runner.Fake{AnyOrder: true}
	g := &gateRunner{Fake: f, n: 3, open: make(chan struct{})}
	f.Expect("7.1.4r165100\n", vbm("--version")...)
	d, err := New(context.Background(), Options{Runner: g, Path: bin})
	if err != nil {
		t.Fatal(err)
	}
	lab := demoLab()
	lab.Networks = nil
	f.Expect("\"demo-cp\" {1}\n\"demo-worker-1\" {2}\n\"demo-worker-2\" {3}\n", vbm("list", "vms")...)
	for _, vm := range []string{"demo-cp", "demo-worker-1", "demo-worker-2"} {
		f.Expect(vmText(t, vm, "running"), vbm("showvminfo", vm, "--machinereadable")...).
			Expect("Key: lab/lab, Value: demo\n", vbm("getextradata", vm, "enumerate")...)
	}
	live, err := d.Inspect(context.Background(), lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(live.VMs) != 3 {
		t.Errorf("VMs: %v", live.VMs)
	}
	verify(t, f)
}

// With the default limit, ten VMs are read in one round: all twenty calls
// (showvminfo and getextradata of each VM) are in flight together.
func TestInspectReadsTenVMsInOneRound(t *testing.T) {
	tests := []struct {
		name  string
		nodes int
	}{
		{"one VM, both calls side by side", 1},
		{"ten VMs, all calls at once", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runner.Fake{AnyOrder: true}
			g := &gateRunner{Fake: f, n: 2 * tt.nodes, open: make(chan struct{}),
				gated: []string{"showvminfo", "getextradata"}}
			f.Expect("7.1.4r165100\n", vbm("--version")...)
			d, err := New(context.Background(), Options{Runner: g, Path: bin})
			if err != nil {
				t.Fatal(err)
			}
			lab := demoLab()
			lab.Networks = nil
			lab.Nodes = nil
			var listed strings.Builder
			for i := 1; i <= tt.nodes; i++ {
				node := fmt.Sprintf("n%d", i)
				vm := "demo-" + node
				lab.Nodes = append(lab.Nodes, &spec.Node{Name: node, CPUs: 2, MemoryMiB: 2048})
				fmt.Fprintf(&listed, "%q {%d}\n", vm, i)
				f.Expect(vmText(t, vm, "running"), vbm("showvminfo", vm, "--machinereadable")...).
					Expect("Key: lab/node, Value: "+node+"\n",
						vbm("getextradata", vm, "enumerate")...)
			}
			f.Expect(listed.String(), vbm("list", "vms")...)
			live, err := d.Inspect(context.Background(), lab)
			if err != nil {
				t.Fatal(err)
			}
			if len(live.VMs) != tt.nodes {
				t.Errorf("VMs: %v", live.VMs)
			}
			if got := live.VMs["demo-n1"].Meta["node"]; got != "n1" {
				t.Errorf("demo-n1 meta node = %q, want n1", got)
			}
			verify(t, f)
		})
	}
}
