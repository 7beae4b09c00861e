package vbox

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/runner"
)

// VirtualBox 7.0.0 prints no Forwarding lines for a NIC with several rules;
// the driver reads them from the settings file.
func TestForwardsOn700(t *testing.T) {
	settings, err := filepath.Abs(filepath.Join("testdata", "vbox-settings-7.0.0.vbox"))
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(fixture(t, "showvminfo-machinereadable-7.0.0.txt", true),
		"/home/me/VirtualBox VMs/lab/demo/demo-cp/demo-cp.vbox", settings, 1)
	tests := []struct {
		version string
		want    []drivers.Forward
		warned  bool
	}{
		{"7.0.0r153978", []drivers.Forward{
			{Name: "dns", Protocol: "udp", HostPort: 5353, GuestPort: 53},
			{Name: "k8s-api", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 16443, GuestPort: 16443},
			{Name: "ssh", Protocol: "tcp", HostIP: "127.0.0.1", HostPort: 2222, GuestPort: 22},
		}, false},
		{"7.0.2r154219", nil, false},
	}
	for _, tt := range tests {
		f := &runner.Fake{}
		d := newDriver(t, tt.version, f)
		warned := false
		d.warn = func(string) { warned = true }
		f.Expect(out, vbm("showvminfo", "demo-cp", "--machinereadable")...)
		info, err := d.showVMInfo(context.Background(), "demo-cp")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(info.Forwards[1], tt.want) || warned != tt.warned {
			t.Errorf("%s: got %+v (warned %v)", tt.version, info.Forwards[1], warned)
		}
		verify(t, f)
	}
}

func TestForwardsOn700Unreadable(t *testing.T) {
	f := &runner.Fake{}
	d := newDriver(t, "7.0.0r153978", f)
	var msgs []string
	d.warn = func(m string) { msgs = append(msgs, m) }
	out := strings.Replace(fixture(t, "showvminfo-machinereadable-7.0.0.txt", false),
		"/home/me/VirtualBox VMs/lab/demo/demo-cp/demo-cp.vbox", "/nonexistent/demo-cp.vbox", 1)
	f.Expect(out, vbm("showvminfo", "demo-cp", "--machinereadable")...)
	if _, err := d.showVMInfo(context.Background(), "demo-cp"); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "VirtualBox 7.0.0 hides forwards of demo-cp") {
		t.Errorf("warnings %q", msgs)
	}
}
