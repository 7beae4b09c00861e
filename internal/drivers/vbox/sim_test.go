package vbox

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/runner"
	"github.com/labtool/lab/internal/spec"
)

// simBin is the simulated VBoxManage built by `make sim`, or "".
func simBin(t *testing.T) string {
	dir := os.Getenv("LAB_SIM_BIN")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "bin", "sim")
	}
	p, err := filepath.Abs(filepath.Join(dir, "VBoxManage"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// simAppliance finds an appliance the simulator can import, or "".
func simAppliance() string {
	for _, p := range []string{
		filepath.Join("..", "..", "..", "sim", "vbox", "testdata", "box.ovf"),
	} {
		if abs, err := filepath.Abs(p); err == nil {
			if _, err := os.Stat(abs); err == nil {
				return abs
			}
		}
	}
	return ""
}

// TestAgainstSimulator drives the whole driver through the simulated
// VBoxManage (without guests) on both VirtualBox lines.
func TestAgainstSimulator(t *testing.T) {
	bin := simBin(t)
	if bin == "" || testing.Short() {
		t.Skip("bin/sim/VBoxManage not built (make sim)")
	}
	for _, ver := range []string{"6.1.50", "7.0.0", "7.1.4"} {
		t.Run(ver, func(t *testing.T) { simScenario(t, bin, ver) })
	}
}

func simScenario(t *testing.T, bin, ver string) {
	ctx := context.Background()
	r := runner.Exec{Env: []string{"LAB_SIM_HOME=" + t.TempDir(), "LAB_SIM_NO_GUESTS=1",
		"LAB_SIM_VBOX_VERSION=" + ver, "LAB_SIM_TIME_SCALE=0.02"}}
	var warnings []string
	d, err := New(ctx, Options{Runner: r, Path: bin, Poll: 20 * time.Millisecond,
		Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if d.Version() != ver {
		t.Fatalf("version %s, want %s", d.Version(), ver)
	}
	lab := simLab()
	live, err := d.Inspect(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(live.VMs) != 0 || live.Networks["cluster"] != nil {
		t.Fatalf("fresh world: %+v", live)
	}
	for _, n := range lab.Networks {
		if _, err := d.EnsureNetwork(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	ova := simAppliance()
	if ova == "" {
		t.Log("no appliance to import; VM steps skipped")
		return
	}
	lab.Images[0].OVA = ova
	simVMLifecycle(t, d, lab)
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
}

func simLab() *spec.Lab {
	img := &spec.Image{Name: "ubuntu"}
	return &spec.Lab{Name: "sim", Images: []*spec.Image{img},
		Networks: []*spec.Network{
			{Name: "cluster", Type: spec.NetHostOnly, CIDR: netip.MustParsePrefix("192.168.56.0/24")},
			{Name: "back", Type: spec.NetIntnet},
		},
		Nodes: []*spec.Node{{Name: "cp", Image: img, CPUs: 1, MemoryMiB: 512}},
	}
}

func simVMLifecycle(t *testing.T, d *Driver, lab *spec.Lab) {
	ctx := context.Background()
	ssh := drivers.Forward{Name: "ssh", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 2299,
		GuestPort: 22}
	api := drivers.Forward{Name: "api", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 16499,
		GuestPort: 16443}
	req := drivers.CreateRequest{Lab: lab, Node: lab.Nodes[0], VMName: "sim-cp",
		NICs: []drivers.NICRequest{{Slot: 1, MAC: "080027000011"},
			{Slot: 2, Network: lab.Networks[0], MAC: "080027000012"},
			{Slot: 3, Network: lab.Networks[1], MAC: "080027000013"}},
		Forwards: []drivers.Forward{ssh, api},
		Meta:     map[string]string{drivers.MetaLab: "sim", drivers.MetaNode: "cp"},
		SeedISO:  filepath.Join(t.TempDir(), "seed.iso")}
	must(t, os.WriteFile(req.SeedISO, make([]byte, 64<<10), 0o644))
	must(t, d.Create(ctx, req))
	info, err := d.showVMInfo(ctx, "sim-cp")
	must(t, err)
	if ctl, port, dev := seedPlace(info, req.SeedISO); ctl == "" {
		t.Errorf("seed ISO not attached: %v", info.Media)
	} else {
		t.Logf("seed ISO on %s port %d device %d", ctl, port, dev)
	}
	live, err := d.Inspect(ctx, lab)
	must(t, err)
	vm := live.VMs["sim-cp"]
	if vm == nil || !vm.Ours("sim") || vm.State != drivers.Stopped || vm.CPUs != 1 {
		t.Fatalf("after create: %+v", vm)
	}
	wantNICs := []drivers.NIC{{Slot: 1, Kind: "nat", MAC: "080027000011"},
		{Slot: 2, Kind: "hostonly", Attachment: live.Networks["cluster"].Attachment,
			Network: "cluster", MAC: "080027000012"},
		{Slot: 3, Kind: "intnet", Attachment: "sim-back", Network: "back", MAC: "080027000013"}}
	if !reflect.DeepEqual(vm.NICs, wantNICs) ||
		!reflect.DeepEqual(vm.Forwards, []drivers.Forward{api, ssh}) {
		t.Errorf("after create: NICs %+v forwards %+v", vm.NICs, vm.Forwards)
	}
	must(t, d.SetHardware(ctx, "sim-cp", 2, 1024, nil))
	must(t, d.Start(ctx, "sim-cp"))
	web := drivers.Forward{Name: "web", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 8099,
		GuestPort: 80}
	must(t, d.AddForward(ctx, "sim-cp", web))
	must(t, d.RemoveForward(ctx, "sim-cp", "ssh"))
	live, err = d.Inspect(ctx, lab)
	must(t, err)
	vm = live.VMs["sim-cp"]
	if vm.CPUs != 2 || vm.MemoryMiB != 1024 ||
		!reflect.DeepEqual(vm.Forwards, []drivers.Forward{api, web}) {
		t.Errorf("after changes: %+v", vm)
	}
	must(t, d.Stop(ctx, "sim-cp", 30*time.Second))
	must(t, d.Delete(ctx, "sim-cp"))
	live, err = d.Inspect(ctx, lab)
	must(t, err)
	if len(live.VMs) != 0 {
		t.Errorf("after delete: %+v", live.VMs)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seedPlace finds where path is attached.
func seedPlace(info *vmInfo, path string) (string, int, int) {
	for _, c := range info.Controllers {
		for p := 0; p < c.MaxPorts; p++ {
			for dev := 0; dev < 2; dev++ {
				if info.Media[fmt.Sprintf("%s-%d-%d", c.Name, p, dev)] == path {
					return c.Name, p, dev
				}
			}
		}
	}
	return "", 0, 0
}
