package vbox

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/drivers"
)

// fixture reads testdata/name; crlf turns its line ends into CRLF, the
// shape VBoxManage.exe prints on Windows hosts.
func fixture(t *testing.T, name string, crlf bool) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if crlf {
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	return s
}

// eachEnding runs f on the fixture with LF and with CRLF line ends.
func eachEnding(t *testing.T, name string, f func(t *testing.T, out string)) {
	for _, crlf := range []bool{false, true} {
		label := "lf"
		if crlf {
			label = "crlf"
		}
		t.Run(name+"/"+label, func(t *testing.T) { f(t, fixture(t, name, crlf)) })
	}
}

// stdControllers are the storage controllers of the showvminfo fixtures.
var stdControllers = []controller{{"IDE Controller", "PIIX4", 2, 2},
	{"SATA Controller", "IntelAhci", 1, 30}}

func TestParseVMInfo(t *testing.T) {
	tests := []struct {
		file string
		want vmInfo
	}{
		{"showvminfo-machinereadable-7.1.txt", vmInfo{
			Name: "demo-cp", UUID: "3b1f0c9e-5d1a-4c1e-9a53-2f7f3f8d1c20", State: "running",
			Groups:  []string{"/lab/demo"},
			CfgFile: "/home/me/VirtualBox VMs/lab/demo/demo-cp/demo-cp.vbox",
			CPUs:    2, MemoryMiB: 2048,
			NICs: []drivers.NIC{
				{Slot: 1, Kind: "nat", MAC: "080027A1B2C3"},
				{Slot: 2, Kind: "hostonly", Attachment: "vboxnet0", MAC: "080027D4E5F6"},
				{Slot: 3, Kind: "intnet", Attachment: "demo-back", MAC: "0800271A2B3C"},
			},
			Forwards: map[int][]drivers.Forward{1: {
				{Name: "k8s-api", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 16443, GuestPort: 16443},
				{Name: "ssh", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 2222, GuestPort: 22},
			}},
			Controllers: stdControllers,
			Media: map[string]string{
				"IDE Controller-0-0": "none", "IDE Controller-0-1": "none",
				"IDE Controller-1-0": "emptydrive", "IDE Controller-1-1": "none",
				"SATA Controller-0-0": "/home/me/VirtualBox VMs/lab/demo/demo-cp/box-disk001.vmdk",
			},
		}},
		{"showvminfo-machinereadable-6.1.txt", vmInfo{
			Name: "old-vm", UUID: "3b1f0c9e-5d1a-4c1e-9a53-2f7f3f8d1c20", State: "poweroff",
			Groups:  []string{"/lab/old", "/team"},
			CfgFile: `/home/me/VMs \ "quoted"/old-vm.vbox`,
			CPUs:    2, MemoryMiB: 2048,
			NICs: []drivers.NIC{
				{Slot: 1, Kind: "nat", MAC: "0800275C6D7E"},
				{Slot: 2, Kind: "bridged", Attachment: "enp3s0", MAC: "080027D4E5F6"},
				{Slot: 3, Kind: "intnet", Attachment: `back\\end`, MAC: "0800271A2B3C"},
				{Slot: 4, Kind: "natnetwork", Attachment: "old-nat", MAC: "0800274D5E6F"},
				{Slot: 5, Kind: "nat", MAC: "0800270A0B0C"},
			},
			Forwards: map[int][]drivers.Forward{
				1: {{Name: "tcp2222", Protocol: "tcp", HostIP: "", HostPort: 2222, GuestPort: 22}},
				5: {{Name: "web", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 8080, GuestPort: 80}},
			},
			Controllers: stdControllers,
			Media: map[string]string{
				"IDE Controller-0-0": "none", "IDE Controller-0-1": "none",
				"IDE Controller-1-0": "emptydrive", "IDE Controller-1-1": "none",
				"SATA Controller-0-0": "/home/me/VirtualBox VMs/lab/old/old-vm/box-disk001.vmdk",
			},
		}},
		{"showvminfo-machinereadable-7.0.0.txt", vmInfo{
			Name: "demo-cp", UUID: "3b1f0c9e-5d1a-4c1e-9a53-2f7f3f8d1c20", State: "saved",
			Groups:  []string{"/lab/demo"},
			CfgFile: "/home/me/VirtualBox VMs/lab/demo/demo-cp/demo-cp.vbox",
			CPUs:    2, MemoryMiB: 2048,
			NICs: []drivers.NIC{
				{Slot: 1, Kind: "nat", MAC: "080027A1B2C3"},
				{Slot: 2, Kind: "hostonly", Attachment: "vboxnet0", MAC: "080027D4E5F6"},
				{Slot: 3, Kind: "intnet", Attachment: "demo-back", MAC: "0800271A2B3C"},
			},
			Forwards:    map[int][]drivers.Forward{},
			Controllers: stdControllers,
			Media: map[string]string{
				"IDE Controller-0-0": "none", "IDE Controller-0-1": "none",
				"IDE Controller-1-0": "emptydrive", "IDE Controller-1-1": "none",
				"SATA Controller-0-0": "/home/me/VirtualBox VMs/lab/demo/demo-cp/box-disk001.vmdk",
			},
		}},
	}
	for _, tt := range tests {
		eachEnding(t, tt.file, func(t *testing.T, out string) {
			got, err := parseVMInfo(out)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

// A multi-line description (escaped, newlines kept) and a snapshot with a
// raw multi-line description must not leak keys into the VM's settings.
func TestParseVMInfoDescription(t *testing.T) {
	plain, err := parseVMInfo(fixture(t, "showvminfo-machinereadable-7.1.txt", false))
	if err != nil {
		t.Fatal(err)
	}
	eachEnding(t, "showvminfo-machinereadable-7.1-description.txt", func(t *testing.T, out string) {
		got, err := parseVMInfo(out)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, plain) {
			t.Errorf("got  %+v\nwant %+v", got, plain)
		}
	})
	lines := joinContinued(lines(fixture(t, "showvminfo-machinereadable-7.1-description.txt", false)))
	want := "description=\"Control plane.\nNotes: cpus=64 was too many\n" +
		"VMState=\\\"poweroff\\\" is fine \\\\ ok\""
	found := false
	for _, l := range lines {
		found = found || l == want
	}
	if !found {
		t.Errorf("description not rejoined")
	}
	if _, v, _ := splitKV(want); v != "Control plane.\nNotes: cpus=64 was too many\n"+
		`VMState="poweroff" is fine \ ok` {
		t.Errorf("description value %q", v)
	}
}

func TestParseVMInfoSpecialCases(t *testing.T) {
	inaccessible := "name=\"<inaccessible>\"\nUUID=\"c3d4e5f6-0000-4000-8000-000000000003\"\n"
	info, err := parseVMInfo(inaccessible)
	if err != nil || !info.Inaccessible || info.UUID != "c3d4e5f6-0000-4000-8000-000000000003" {
		t.Errorf("inaccessible: %+v %v", info, err)
	}
	// name is escaped; the NIC attachment line is raw.
	escaped := "name=\"a \\\"b\\\" \\\\c\"\nUUID=\"u\"\nnic1=\"nat\"\n" +
		"bridgeadapter2=\"en\"0\"\nnic2=\"bridged\"\nVMState=\"gurumeditation\"\n"
	info, err = parseVMInfo(escaped)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != `a "b" \c` || info.NICs[1].Attachment != `en"0` ||
		vmState(info.State) != drivers.Other {
		t.Errorf("got %+v", info)
	}
	for _, bad := range []string{"name=\"x\"\n", "UUID=\"u\"\ncpus=two\n",
		"UUID=\"u\"\nnic1=\"nat\"\nForwarding(0)=\"ssh,tcp,2222,22\"\n"} {
		if _, err := parseVMInfo(bad); err == nil {
			t.Errorf("parseVMInfo(%q) succeeded", bad)
		}
	}
}

func TestVMState(t *testing.T) {
	tests := map[string]drivers.State{
		"poweroff": drivers.Stopped, "aborted": drivers.Stopped, "running": drivers.Running,
		"saved": drivers.Saved, "aborted-saved": drivers.Saved, "starting": drivers.Starting,
		"restoring": drivers.Starting, "stopping": drivers.Stopping, "saving": drivers.Stopping,
		"paused": drivers.Other, "gurumeditation": drivers.Other, "unknown": drivers.Other,
	}
	for in, want := range tests {
		if got := vmState(in); got != want {
			t.Errorf("vmState(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseSettingsForwards(t *testing.T) {
	got, err := parseSettingsForwards([]byte(fixture(t, "vbox-settings-7.0.0.vbox", false)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][]drivers.Forward{1: {
		{Name: "ssh", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 2222, GuestPort: 22},
		{Name: "k8s-api", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 16443, GuestPort: 16443},
		{Name: "dns", Protocol: "udp", HostPort: 5353, GuestPort: 53},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

func TestParseListVMs(t *testing.T) {
	eachEnding(t, "list-vms.txt", func(t *testing.T, out string) {
		got, err := parseListVMs(out)
		if err != nil {
			t.Fatal(err)
		}
		want := []listedVM{
			{"demo-cp", "3b1f0c9e-5d1a-4c1e-9a53-2f7f3f8d1c20"},
			{`my \"odd\" vm`, "b2c3d4e5-0000-4000-8000-000000000002"},
			{"<inaccessible>", "c3d4e5f6-0000-4000-8000-000000000003"},
			{"demo-worker-1", "d4e5f6a7-0000-4000-8000-000000000004"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %q", got)
		}
	})
	if _, err := parseListVMs("demo-cp {x}\n"); err == nil {
		t.Error("accepted a line without quotes")
	}
}

func TestParseHostIfs(t *testing.T) {
	eachEnding(t, "list-hostonlyifs.txt", func(t *testing.T, out string) {
		want := []hostIf{
			{"vboxnet0", "192.168.56.1", "255.255.255.0", "Up",
				"HostInterfaceNetworking-vboxnet0", "0a:00:27:00:00:00"},
			{"vboxnet1", "192.168.60.1", "255.255.255.0", "Down",
				"HostInterfaceNetworking-vboxnet1", "0a:00:27:00:00:01"},
		}
		if got := parseHostIfs(out); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v", got)
		}
	})
	eachEnding(t, "list-bridgedifs.txt", func(t *testing.T, out string) {
		got := parseHostIfs(out)
		if len(got) != 2 || got[0].Name != "enp3s0" || got[1].Name != "en0: Wi-Fi (AirPort)" {
			t.Errorf("got %+v", got)
		}
		for _, tt := range []struct{ want, found string }{
			{"enp3s0", "enp3s0"}, {"en0", "en0: Wi-Fi (AirPort)"},
			{"Wi-Fi (AirPort)", "en0: Wi-Fi (AirPort)"}, {"eth9", ""},
		} {
			if m := matchAdapter(got, tt.want); m != tt.found {
				t.Errorf("matchAdapter(%q) = %q, want %q", tt.want, m, tt.found)
			}
		}
	})
}

func TestParseNATNets(t *testing.T) {
	for _, file := range []string{"list-natnets-6.1.txt", "list-natnets-7.1.txt"} {
		eachEnding(t, file, func(t *testing.T, out string) {
			got, err := parseNATNets(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Name != "old-nat" || got[0].CIDR.String() != "10.0.5.0/24" ||
				got[1].Name != "demo-svc" || got[1].CIDR.String() != "10.0.9.0/24" {
				t.Errorf("got %+v", got)
			}
		})
	}
}

func TestParseExtradata(t *testing.T) {
	eachEnding(t, "getextradata-enumerate.txt", func(t *testing.T, out string) {
		got, err := parseExtradata(out)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"GUI/LastCloseAction": "PowerOff",
			"lab/hash/network": "sha256:5e8f, with comma", "lab/id": "7f3a9c21",
			"lab/lab": "demo", "lab/node": "cp", "lab/ssh-port": "2222"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v", got)
		}
	})
	if _, err := parseExtradata("No value set!\n"); err == nil {
		t.Error("accepted a getextradata <key> answer")
	}
}

func TestParseCreatedIf(t *testing.T) {
	tests := map[string]string{
		"hostonlyif-create-7.1.txt":         "vboxnet1",
		"hostonlyif-create-windows-6.1.txt": "VirtualBox Host-Only Ethernet Adapter #2",
	}
	for file, want := range tests {
		got, err := parseCreatedIf(fixture(t, file, false))
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v", file, got, err)
		}
	}
	if _, err := parseCreatedIf("0%...100%\n"); err == nil {
		t.Error("accepted output without a name")
	}
}

func TestParseImport(t *testing.T) {
	eachEnding(t, "import-7.1.txt", func(t *testing.T, out string) {
		want := importResult{VMName: "demo-cp",
			SettingsFile: "/home/me/VirtualBox VMs/lab/demo/demo-cp/demo-cp.vbox",
			Disks: []string{"ubuntu-jammy-22.04-cloudimg.vmdk",
				"ubuntu-jammy-22.04-cloudimg-configdrive.vmdk"}, Done: true}
		if got := parseImport(out); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v", got)
		}
	})
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		out, want, err string
	}{
		{"7.0.14r161095\n", "7.0.14", ""},
		{"6.1.38_Ubuntur153438\r\n", "6.1.38", ""},
		{"WARNING: The character device /dev/vboxdrv does not exist.\n7.1.4r165100\n", "7.1.4", ""},
		{"7.2.0_BETA1r168000\n", "7.2.0", ""},
		{"WARNING: The vboxdrv kernel module is not loaded. Either there is no module\n" +
			"         available for the current kernel (6.8.0-45-generic) or it failed to\n" +
			"5.2.0r1\n", "", "virtualbox cannot run VMs: WARNING: The vboxdrv kernel module is not " +
			"loaded. Either there is no module"},
		{"", "", "VBoxManage --version printed nothing"},
		{"hello\n", "", `unexpected VBoxManage --version output "hello"`},
	}
	for _, tt := range tests {
		v, err := parseVersion(tt.out)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseVersion(%q) error = %v, want %s", tt.out, err, tt.err)
			}
			continue
		}
		if err != nil || v.String() != tt.want {
			t.Errorf("parseVersion(%q) = %v, %v", tt.out, v, err)
		}
	}
}

func TestScanStderr(t *testing.T) {
	stderr := "0%...10%...100%\r\n" +
		"VBoxManage.exe: warning: Interface \"eth9\" doesn't seem to exist\r\n" +
		"VBoxManage: error: The machine 'demo-cp' is already locked for a session " +
		"(or being unlocked)\n" +
		"VBoxManage: error: Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), " +
		"component MachineWrap\n" +
		"VBoxManage: error: Context: \"LockMachine(a->session, LockType_Write)\" at line 640\n"
	errs, warns := scanStderr(stderr)
	wantErrs := []string{"The machine 'demo-cp' is already locked for a session (or being unlocked)"}
	wantWarns := []string{`Interface "eth9" doesn't seem to exist`}
	if !reflect.DeepEqual(errs, wantErrs) || !reflect.DeepEqual(warns, wantWarns) {
		t.Errorf("got %q %q", errs, warns)
	}
}
