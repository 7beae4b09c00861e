package vbox

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/runner"
	"github.com/labtool/lab/internal/spec"
)

func TestNewPicksSpellings(t *testing.T) {
	tests := []struct {
		out   string
		want  spelling
		error string
	}{
		{"6.1.38_Ubuntur153438", spelling6, ""},
		{"7.0.14r161095", spelling7, ""},
		{"7.1.4r165100", spelling7, ""},
		{"6.0.24r139119", spelling{}, "VirtualBox 6.0.24 is too old: lab needs 6.1 or newer"},
	}
	for _, tt := range tests {
		f := (&runner.Fake{}).Expect(tt.out+"\n", vbm("--version")...)
		d, err := New(context.Background(), Options{Runner: f, Path: bin})
		if tt.error != "" {
			if err == nil || err.Error() != tt.error {
				t.Errorf("%s: error %v, want %s", tt.out, err, tt.error)
			}
			continue
		}
		if err != nil || d.spell != tt.want {
			t.Errorf("%s: got %+v, %v", tt.out, d, err)
		}
	}
}

func TestNewKernelModuleMissing(t *testing.T) {
	f := (&runner.Fake{}).ExpectResult(runner.Result{Stdout: "WARNING: The vboxdrv kernel " +
		"module is not loaded. Either there is no module\n7.1.4r165100\n"}, vbm("--version")...)
	_, err := New(context.Background(), Options{Runner: f, Path: bin})
	want := "virtualbox cannot run VMs: WARNING: The vboxdrv kernel module is not loaded. " +
		"Either there is no module"
	if err == nil || err.Error() != want {
		t.Errorf("got %v", err)
	}
}

func demoLab() *spec.Lab {
	img := &spec.Image{Name: "ubuntu", OVA: "/images/ubuntu.ova"}
	lab := &spec.Lab{Name: "demo", Images: []*spec.Image{img}, Networks: []*spec.Network{
		{Name: "cluster", Type: spec.NetHostOnly, CIDR: netip.MustParsePrefix("192.168.56.0/24")},
		{Name: "back", Type: spec.NetIntnet},
		{Name: "svc", Type: spec.NetNATNetwork, CIDR: netip.MustParsePrefix("10.0.9.0/24")},
		{Name: "lan", Type: spec.NetBridged, Adapter: "en0"},
	}}
	for _, n := range []string{"cp", "worker-1", "worker-2"} {
		lab.Nodes = append(lab.Nodes, &spec.Node{Name: n, Image: img, CPUs: 2, MemoryMiB: 2048})
	}
	return lab
}

func TestInspect(t *testing.T) {
	for _, v := range []struct{ version, natnets string }{
		{"6.1.38_Ubuntur153438", "list-natnets-6.1.txt"},
		{"7.1.4r165100", "list-natnets-7.1.txt"},
	} {
		t.Run(v.version, func(t *testing.T) { testInspect(t, v.version, v.natnets) })
	}
}

func testInspect(t *testing.T, version, natnets string) {
	f := &runner.Fake{}
	d := newDriver(t, version, f)
	f.AnyOrder = true
	listed := "\"demo-cp\" {1}\n\"demo-old\" {2}\n\"demo-foreign\" {3}\n\"other\" {4}\n" +
		"\"demo-worker-1\" {5}\n"
	foreign := strings.Replace(vmText(t, "demo-foreign", "poweroff"), `groups="/lab/demo"`,
		`groups="/"`, 1)
	f.Expect(listed, vbm("list", "vms")...).
		Expect(fixture(t, "list-hostonlyifs.txt", true), vbm("list", "hostonlyifs")...).
		Expect(fixture(t, natnets, false), vbm("list", "natnets")...).
		Expect(fixture(t, "list-bridgedifs.txt", false), vbm("list", "bridgedifs")...).
		Expect(fixture(t, "showvminfo-machinereadable-7.1.txt", true),
			vbm("showvminfo", "demo-cp", "--machinereadable")...).
		Expect(fixture(t, "getextradata-enumerate.txt", false),
			vbm("getextradata", "demo-cp", "enumerate")...).
		Expect(vmText(t, "demo-old", "aborted"), vbm("showvminfo", "demo-old", "--machinereadable")...).
		Expect("", vbm("getextradata", "demo-old", "enumerate")...).
		Expect(foreign, vbm("showvminfo", "demo-foreign", "--machinereadable")...).
		Expect("Key: other/x, Value: 1\n", vbm("getextradata", "demo-foreign", "enumerate")...).
		ExpectResult(comError("Could not find a registered machine named 'demo-worker-1'",
			"VBOX_E_OBJECT_NOT_FOUND"), vbm("showvminfo", "demo-worker-1", "--machinereadable")...).
		// The extradata read runs beside showvminfo, so it happens for a gone VM too.
		ExpectResult(comError("Could not find a registered machine named 'demo-worker-1'",
			"VBOX_E_OBJECT_NOT_FOUND"), vbm("getextradata", "demo-worker-1", "enumerate")...)
	live, err := d.Inspect(context.Background(), demoLab())
	if err != nil {
		t.Fatal(err)
	}
	verify(t, f)
	wantNets := map[string]*drivers.Network{
		"cluster": {Name: "cluster", Attachment: "vboxnet0"},
		"back":    {Name: "back", Attachment: "demo-back"},
		"svc":     {Name: "svc", Attachment: "demo-svc"},
		"lan":     {Name: "lan", Attachment: "en0: Wi-Fi (AirPort)"},
	}
	if !reflect.DeepEqual(live.Networks, wantNets) {
		t.Errorf("networks: %+v", live.Networks)
	}
	cp := &drivers.VM{Name: "demo-cp", UUID: "3b1f0c9e-5d1a-4c1e-9a53-2f7f3f8d1c20",
		State: drivers.Running, CPUs: 2, MemoryMiB: 2048,
		NICs: []drivers.NIC{
			{Slot: 1, Kind: "nat", MAC: "080027A1B2C3"},
			{Slot: 2, Kind: "hostonly", Attachment: "vboxnet0", Network: "cluster", MAC: "080027D4E5F6"},
			{Slot: 3, Kind: "intnet", Attachment: "demo-back", Network: "back", MAC: "0800271A2B3C"},
		},
		Forwards: []drivers.Forward{
			{Name: "k8s-api", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 16443, GuestPort: 16443},
			{Name: "ssh", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 2222, GuestPort: 22},
		},
		Meta: map[string]string{"hash/network": "sha256:5e8f, with comma", "id": "7f3a9c21",
			"lab": "demo", "node": "cp", "ssh-port": "2222"},
	}
	if !reflect.DeepEqual(live.VMs["demo-cp"], cp) {
		t.Errorf("demo-cp:\n got %+v\nwant %+v", live.VMs["demo-cp"], cp)
	}
	old := live.VMs["demo-old"]
	if len(live.VMs) != 2 || old == nil || old.State != drivers.Stopped || old.Ours("demo") {
		t.Errorf("VMs: %+v", live.VMs)
	}
}

func TestInspectFailsOnError(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	lab := demoLab()
	lab.Networks = nil
	f.AnyOrder = true
	f.Expect("\"demo-cp\" {1}\n", vbm("list", "vms")...).
		ExpectResult(runner.Result{Stderr: "VBoxManage: error: Failed to lock\n"},
			vbm("showvminfo", "demo-cp", "--machinereadable")...).
		Expect("Key: lab/lab, Value: demo\n", vbm("getextradata", "demo-cp", "enumerate")...)
	_, err := d.Inspect(context.Background(), lab)
	want := "reading VM demo-cp: running /usr/bin/VBoxManage showvminfo demo-cp " +
		"--machinereadable: Failed to lock"
	if err == nil || err.Error() != want {
		t.Errorf("got %v", err)
	}
	if re := runner.AsError(err); re == nil || re.ExitCode != 0 {
		t.Errorf("want a runner error with exit 0, got %#v", err)
	}
	verify(t, f)
}

func TestEnsureNetwork(t *testing.T) {
	hostonly := &spec.Network{Name: "cluster", Type: spec.NetHostOnly,
		CIDR: netip.MustParsePrefix("192.168.61.0/24")}
	tests := []struct {
		name    string
		net     *spec.Network
		script  func(f *runner.Fake)
		want    string
		wantErr string
	}{
		// "hostonly new" is in dhcp_test.go: its DHCP server's options vary by version.
		{"hostonly exists", &spec.Network{Name: "c", Type: spec.NetHostOnly,
			CIDR: netip.MustParsePrefix("192.168.60.0/24")}, func(f *runner.Fake) {
			f.Expect(fixture(t, "list-hostonlyifs.txt", false), vbm("list", "hostonlyifs")...)
		}, "vboxnet1", ""},
		{"hostonly with another netmask", &spec.Network{Name: "c", Type: spec.NetHostOnly,
			CIDR: netip.MustParsePrefix("192.168.56.0/25")}, func(f *runner.Fake) {
			f.Expect(fixture(t, "list-hostonlyifs.txt", false), vbm("list", "hostonlyifs")...)
		}, "", `network "c": host-only interface vboxnet0 has 192.168.56.1 ` +
			"with netmask 255.255.255.0, not 255.255.255.128 as cidr 192.168.56.0/25 says; " +
			"fix it with `VBoxManage hostonlyif ipconfig vboxnet0 --ip 192.168.56.1 " +
			"--netmask 255.255.255.128`"},
		{"hostonly refused", hostonly, func(f *runner.Fake) {
			f.Expect("", vbm("list", "hostonlyifs")...).
				Expect("Interface 'vboxnet0' was successfully created\n", vbm("hostonlyif", "create")...).
				ExpectResult(runner.Result{ExitCode: 1, Stderr: "VBoxManage: error: Code " +
					"E_ACCESSDENIED (0x80070005) - Access denied (extended info not available)\n" +
					"VBoxManage: error: Context: \"EnableStaticIPConfig(...)\" at line 242\n"},
					vbm("hostonlyif", "ipconfig", "vboxnet0", "--ip", "192.168.61.1",
						"--netmask", "255.255.255.0")...).
				Expect("", vbm("hostonlyif", "remove", "vboxnet0")...)
		}, "", `network "cluster": configuring vboxnet0: running /usr/bin/VBoxManage hostonlyif ` +
			"ipconfig vboxnet0 --ip 192.168.61.1 --netmask 255.255.255.0: exit status 1: Code " +
			"E_ACCESSDENIED (0x80070005) - Access denied (extended info not available); " +
			"/etc/vbox/networks.conf does not allow 192.168.61.0/24: add a line " +
			"`* 192.168.61.0/24` there"},
		{"natnetwork new", &spec.Network{Name: "nat", Type: spec.NetNATNetwork,
			CIDR: netip.MustParsePrefix("10.0.7.0/24")}, func(f *runner.Fake) {
			f.Expect(fixture(t, "list-natnets-6.1.txt", false), vbm("list", "natnets")...).
				Expect("", vbm("natnetwork", "add", "--netname", "demo-nat", "--network",
					"10.0.7.0/24", "--enable", "--dhcp", "on")...).
				Expect("", vbm("setextradata", "global", "lab/network/demo-nat", "demo")...)
		}, "demo-nat", ""},
		{"natnetwork exists", &spec.Network{Name: "svc", Type: spec.NetNATNetwork,
			CIDR: netip.MustParsePrefix("10.0.9.0/24")}, func(f *runner.Fake) {
			f.Expect(fixture(t, "list-natnets-7.1.txt", false), vbm("list", "natnets")...)
		}, "demo-svc", ""},
		{"intnet", &spec.Network{Name: "back", Type: spec.NetIntnet}, func(*runner.Fake) {},
			"demo-back", ""},
		{"bridged", &spec.Network{Name: "lan", Type: spec.NetBridged, Adapter: "enp3s0"},
			func(f *runner.Fake) {
				f.Expect(fixture(t, "list-bridgedifs.txt", false), vbm("list", "bridgedifs")...)
			}, "enp3s0", ""},
		{"bridged missing", &spec.Network{Name: "lan", Type: spec.NetBridged, Adapter: "eth9"},
			func(f *runner.Fake) {
				f.Expect(fixture(t, "list-bridgedifs.txt", false), vbm("list", "bridgedifs")...)
			}, "", `network "lan": host adapter "eth9" not found; the host has: "enp3s0", ` +
				`"en0: Wi-Fi (AirPort)"`},
	}
	for _, tt := range tests {
		for _, version := range []string{"6.1.38_Ubuntur153438", "7.1.4r165100"} {
			t.Run(tt.name+"/"+version, func(t *testing.T) {
				testEnsureNetwork(t, version, tt.net, tt.script, tt.want, tt.wantErr)
			})
		}
	}
}

func testEnsureNetwork(t *testing.T, version string, net *spec.Network,
	script func(f *runner.Fake), want, wantErr string) {
	f := &runner.Fake{}
	d := newDriver(t, version, f)
	d.setLab("demo")
	script(f)
	got, err := d.EnsureNetwork(context.Background(), net)
	verify(t, f)
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Fatalf("error:\n got %v\nwant %s", err, wantErr)
		}
		return
	}
	if err != nil || got.Attachment != want || got.Name != net.Name {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestEnsureNetworkNeedsLab(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	_, err := d.EnsureNetwork(context.Background(), &spec.Network{Name: "b", Type: spec.NetIntnet})
	if err == nil || !strings.Contains(err.Error(), "Inspect first") {
		t.Errorf("got %v", err)
	}
}

func TestVMUUID(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.1.4r165100", f)
	f.Expect(vmText(t, "demo-cp", "running"), vbm("showvminfo", "demo-cp", "--machinereadable")...).
		ExpectResult(comError("Could not find a registered machine named 'demo-x'",
			"VBOX_E_OBJECT_NOT_FOUND"), vbm("showvminfo", "demo-x", "--machinereadable")...)
	if got, err := d.VMUUID(context.Background(), "demo-cp"); err != nil ||
		got != "3b1f0c9e-5d1a-4c1e-9a53-2f7f3f8d1c20" {
		t.Errorf("demo-cp: %q %v", got, err)
	}
	if _, err := d.VMUUID(context.Background(), "demo-x"); err == nil ||
		err.Error() != "VM demo-x is gone" {
		t.Errorf("demo-x: %v", err)
	}
	verify(t, f)
}

func TestRangeHint(t *testing.T) {
	denied := errors.New("Code E_ACCESSDENIED (0x80070005) - Access denied")
	tests := []struct {
		cidr string
		err  error
		want string
	}{
		{"172.16.0.0/24", denied, "; VirtualBox allows host-only networks only in " +
			"192.168.56.0/21 unless /etc/vbox/networks.conf lists more: add a line " +
			"`* 172.16.0.0/24` there, or pick a cidr inside 192.168.56.0/21"},
		{"192.168.57.0/24", denied, "; /etc/vbox/networks.conf does not allow " +
			"192.168.57.0/24: add a line `* 192.168.57.0/24` there"},
		{"172.16.0.0/24", errors.New("Failed to lock"), ""},
	}
	for _, tt := range tests {
		n := &spec.Network{Name: "lan", Type: spec.NetHostOnly,
			CIDR: netip.MustParsePrefix(tt.cidr)}
		if got := rangeHint(tt.err, n); got != tt.want {
			t.Errorf("%s, %v:\n got %q\nwant %q", tt.cidr, tt.err, got, tt.want)
		}
	}
}
