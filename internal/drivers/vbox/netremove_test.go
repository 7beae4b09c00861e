package vbox

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/runner"
)

func TestRemovableNetworks(t *testing.T) {
	const odd = "b2c3d4e5-0000-4000-8000-000000000002"
	const gone = "c3d4e5f6-0000-4000-8000-000000000003"
	inaccessible := "name=\"<inaccessible>\"\nUUID=\"" + gone + "\"\n"
	tests := []struct {
		name   string
		owners string // getextradata global enumerate
		oddVM  string // showvminfo of the VM that is not the lab's
		want   []string
	}{
		{"both made by lab, unused", "Key: lab/network/vboxnet0, Value: demo\n" +
			"Key: lab/network/demo-svc, Value: demo\nKey: other, Value: 1\n",
			strings.ReplaceAll(vmText(t, "odd", "running"), `"vboxnet0"`, `"vboxnet9"`),
			[]string{"cluster=vboxnet0", "svc=demo-svc"}},
		{"host-only in use by another VM", "Key: lab/network/vboxnet0, Value: demo\n" +
			"Key: lab/network/demo-svc, Value: demo\n",
			vmText(t, "odd", "poweroff"), []string{"svc=demo-svc"}},
		{"made by another lab", "Key: lab/network/vboxnet0, Value: other\n", "", nil},
		{"made by the user", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runner.Fake{AnyOrder: true}
			d := newDriver(t, "7.1.4r165100", f)
			f.Expect(tt.owners, vbm("getextradata", "global", "enumerate")...)
			if tt.oddVM != "" {
				f.Expect(fixture(t, "list-vms.txt", false), vbm("list", "vms")...).
					Expect(tt.oddVM, vbm("showvminfo", odd, "--machinereadable")...).
					Expect(inaccessible, vbm("showvminfo", gone, "--machinereadable")...)
			}
			live := &drivers.Live{Networks: map[string]*drivers.Network{
				"cluster": {Name: "cluster", Attachment: "vboxnet0"},
				"svc":     {Name: "svc", Attachment: "demo-svc"},
				"back":    {Name: "back", Attachment: "demo-back"},
			}}
			got, err := d.RemovableNetworks(context.Background(), demoLab(), live,
				[]string{"demo-cp", "demo-worker-1"})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, n := range got {
				names = append(names, n.Name+"="+n.Attachment)
			}
			if !reflect.DeepEqual(names, tt.want) {
				t.Errorf("removable %q, want %q", names, tt.want)
			}
			verify(t, f)
		})
	}
}

func TestRemoveNetwork(t *testing.T) {
	lab := demoLab()
	tests := []struct {
		name   string
		net    int // index in demoLab's networks
		att    string
		script func(f *runner.Fake)
	}{
		{"host-only with its DHCP server", 0, "vboxnet0", func(f *runner.Fake) {
			f.Expect(fixture(t, "list-dhcpservers-6.1.txt", false),
				vbm("list", "dhcpservers")...).
				Expect("", vbm("dhcpserver", "remove", "--ifname", "vboxnet0")...).
				Expect("", vbm("hostonlyif", "remove", "vboxnet0")...).
				Expect("", vbm("setextradata", "global", "lab/network/vboxnet0")...)
		}},
		{"host-only without a DHCP server", 0, "vboxnet3", func(f *runner.Fake) {
			f.Expect(fixture(t, "list-dhcpservers-6.1.txt", false),
				vbm("list", "dhcpservers")...).
				Expect("", vbm("hostonlyif", "remove", "vboxnet3")...).
				Expect("", vbm("setextradata", "global", "lab/network/vboxnet3")...)
		}},
		{"NAT network", 2, "demo-svc", func(f *runner.Fake) {
			f.Expect("", vbm("natnetwork", "remove", "--netname", "demo-svc")...).
				Expect("", vbm("setextradata", "global", "lab/network/demo-svc")...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runner.Fake{}
			d := newDriver(t, "7.1.4r165100", f)
			tt.script(f)
			if err := d.RemoveNetwork(context.Background(), lab.Networks[tt.net],
				tt.att); err != nil {
				t.Fatal(err)
			}
			verify(t, f)
		})
	}
}
