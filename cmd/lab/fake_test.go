package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/labdir"
	"github.com/labtool/lab/internal/spec"
)

// world is an in-memory hypervisor: the fake driver changes it, and every
// changing call is logged as "vm: Method".
type world struct {
	mu       sync.Mutex
	vms      map[string]*drivers.VM
	networks map[string]bool
	log      []string
}

func newWorld() *world {
	return &world{vms: map[string]*drivers.VM{}, networks: map[string]bool{}}
}

func (w *world) record(format string, args ...any) {
	w.log = append(w.log, fmt.Sprintf(format, args...))
}

func (w *world) calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.log...)
}

type fakeDriver struct{ w *world }

func (fakeDriver) Name() string { return "fake" }
func (fakeDriver) Capabilities() drivers.Capabilities {
	return drivers.Capabilities{CPUs: drivers.NeedsStop, Memory: drivers.NeedsStop,
		NICs: drivers.NeedsStop, Forwards: drivers.LiveChange, MaxNICs: 8}
}

func (d fakeDriver) Inspect(_ context.Context, lab *spec.Lab) (*drivers.Live, error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	live := &drivers.Live{VMs: map[string]*drivers.VM{}, Networks: map[string]*drivers.Network{}}
	for name, vm := range d.w.vms {
		cp := *vm
		cp.Meta = map[string]string{}
		for k, v := range vm.Meta {
			cp.Meta[k] = v
		}
		cp.Forwards = append([]drivers.Forward(nil), vm.Forwards...)
		cp.NICs = append([]drivers.NIC(nil), vm.NICs...)
		live.VMs[name] = &cp
	}
	for name := range d.w.networks {
		live.Networks[name] = &drivers.Network{Name: name, Attachment: "vboxnet0"}
	}
	return live, nil
}

func (d fakeDriver) EnsureNetwork(_ context.Context, n *spec.Network) (*drivers.Network,
	error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	d.w.record("net %s: EnsureNetwork", n.Name)
	d.w.networks[n.Name] = true
	return &drivers.Network{Name: n.Name, Attachment: "vboxnet0"}, nil
}

func (d fakeDriver) VMUUID(_ context.Context, vm string) (string, error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	if v := d.w.vms[vm]; v != nil {
		return v.UUID, nil
	}
	return "", fmt.Errorf("VM %s is gone", vm)
}

// RemovableNetworks offers every network of the world that no VM outside
// leaving attaches to (the fake made them all).
func (d fakeDriver) RemovableNetworks(_ context.Context, _ *spec.Lab, live *drivers.Live,
	leaving []string) ([]*drivers.Network, error) {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	used := map[string]bool{}
	for name, vm := range d.w.vms {
		if !slices.Contains(leaving, name) {
			for _, n := range vm.NICs {
				used[n.Network] = true
			}
		}
	}
	var out []*drivers.Network
	for name := range d.w.networks {
		if !used[name] && live.Networks[name] != nil {
			out = append(out, live.Networks[name])
		}
	}
	return out, nil
}

func (d fakeDriver) RemoveNetwork(_ context.Context, n *spec.Network, att string) error {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	d.w.record("net %s: RemoveNetwork %s", n.Name, att)
	delete(d.w.networks, n.Name)
	return nil
}

func nics(reqs []drivers.NICRequest) []drivers.NIC {
	var out []drivers.NIC
	for _, r := range reqs {
		n := drivers.NIC{Slot: r.Slot, Kind: "nat", MAC: r.MAC}
		if r.Network != nil {
			n.Kind, n.Network, n.Attachment = r.Network.Type, r.Network.Name, "vboxnet0"
		}
		out = append(out, n)
	}
	return out
}

func (d fakeDriver) Create(_ context.Context, q drivers.CreateRequest) error {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	d.w.record("%s: Create", q.VMName)
	meta := map[string]string{}
	for k, v := range q.Meta {
		meta[k] = v
	}
	d.w.vms[q.VMName] = &drivers.VM{Name: q.VMName, UUID: "uuid-" + q.VMName,
		State: drivers.Stopped, CPUs: q.Node.CPUs, MemoryMiB: q.Node.MemoryMiB,
		NICs: nics(q.NICs), Forwards: append([]drivers.Forward(nil), q.Forwards...), Meta: meta}
	return nil
}

// change runs fn on a VM under the lock, logging the call.
func (d fakeDriver) change(vm, call string, fn func(*drivers.VM) error) error {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	d.w.record("%s: %s", vm, call)
	v := d.w.vms[vm]
	if v == nil {
		return fmt.Errorf("no VM %q", vm)
	}
	return fn(v)
}

func (d fakeDriver) SetHardware(_ context.Context, vm string, cpus int, mem int64,
	reqs []drivers.NICRequest) error {
	return d.change(vm, "SetHardware", func(v *drivers.VM) error {
		if v.State != drivers.Stopped {
			return fmt.Errorf("%s is locked by a session", vm)
		}
		v.CPUs, v.MemoryMiB, v.NICs = cpus, mem, nics(reqs)
		return nil
	})
}

func (d fakeDriver) AddForward(_ context.Context, vm string, f drivers.Forward) error {
	return d.change(vm, "AddForward "+f.Name, func(v *drivers.VM) error {
		v.Forwards = append(v.Forwards, f)
		sort.Slice(v.Forwards, func(i, j int) bool { return v.Forwards[i].Name < v.Forwards[j].Name })
		return nil
	})
}

func (d fakeDriver) RemoveForward(_ context.Context, vm string, name string) error {
	return d.change(vm, "RemoveForward "+name, func(v *drivers.VM) error {
		var keep []drivers.Forward
		for _, f := range v.Forwards {
			if f.Name != name {
				keep = append(keep, f)
			}
		}
		v.Forwards = keep
		return nil
	})
}

func (d fakeDriver) SetMeta(_ context.Context, vm string, kv map[string]string) error {
	return d.change(vm, "SetMeta", func(v *drivers.VM) error {
		for k, val := range kv {
			v.Meta[k] = val
		}
		return nil
	})
}

func (d fakeDriver) Start(_ context.Context, vm string) error {
	return d.change(vm, "Start", func(v *drivers.VM) error { v.State = drivers.Running; return nil })
}

func (d fakeDriver) Stop(_ context.Context, vm string, _ time.Duration) error {
	return d.change(vm, "Stop", func(v *drivers.VM) error { v.State = drivers.Stopped; return nil })
}

func (d fakeDriver) Delete(_ context.Context, vm string) error {
	return d.change(vm, "Delete", func(*drivers.VM) error {
		delete(d.w.vms, vm)
		return nil
	})
}

// fakeGuests does the guest side in memory; Exec runs "exit N" as exit N.
type fakeGuests struct {
	w *world
}

// Seed makes no seed: the VM gets none.
func (g fakeGuests) Seed(context.Context, *spec.Node) (string, error)       { return "", nil }
func (g fakeGuests) Connect(context.Context, *spec.Node, string, int) error { return nil }
func (g fakeGuests) ConfigureNetwork(context.Context, *spec.Node) error     { return nil }
func (g fakeGuests) RunStep(_ context.Context, n *spec.Node, s *spec.Step, out io.Writer) error {
	fmt.Fprintln(out, strings.Join(s.Inline, "\n"))
	return nil
}
func (g fakeGuests) FormCluster(context.Context, *spec.Cluster, apply.ClusterRun,
	func(string) io.Writer) error {
	return nil
}
func (g fakeGuests) Forget(string) error { return nil }
func (g fakeGuests) StepDigest(s *spec.Step) (string, error) {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(s.Inline, "\n")))), nil
}
func (g fakeGuests) NetworkConfig(lab *spec.Lab, n *spec.Node, macOf func(int) string) []byte {
	return []byte(n.Name + macOf(1))
}
func (g fakeGuests) RouteMetrics(n *spec.Node) map[int]int {
	m := map[int]int{1: 100}
	for i, nic := range n.NICs {
		if !nic.Address.IsValid() {
			m[nic.Slot] = 10 + i
		}
	}
	return m
}
func (g fakeGuests) Exec(_ context.Context, _ *spec.Node, _ string, _ int, cmd string,
	io Stdio) (int, error) {
	var code int
	if _, err := fmt.Sscanf(cmd, "exit %d", &code); err != nil {
		fmt.Fprintln(io.Out, cmd)
	}
	return code, nil
}
func (g fakeGuests) Shell(context.Context, *spec.Node, string, int, Stdio) (int, error) {
	return 0, nil
}
func (g fakeGuests) Close() error { return nil }

// testHost is a Host on the in-memory world, without terminals.
func testHost(w *world, stdin string) (Host, *strings.Builder, *strings.Builder) {
	var out, errb strings.Builder
	h := Host{
		Stdio:    Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb},
		Getenv:   func(string) string { return "" },
		GOOS:     "linux",
		Bindable: func(int) bool { return true },
		Driver: func(context.Context, *spec.Lab) (drivers.Driver, error) {
			return fakeDriver{w}, nil
		},
		Guests: func(*spec.Lab, string, *labdir.Dir, drivers.Driver) (Guests, error) {
			return fakeGuests{w}, nil
		},
		Interrupts: func(ctx context.Context) (context.Context, <-chan struct{}, func()) {
			return ctx, make(chan struct{}), func() {}
		},
		Version: "test",
	}
	return h, &out, &errb
}
