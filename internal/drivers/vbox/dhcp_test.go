package vbox

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/runner"
	"github.com/labtool/lab/internal/spec"
)

// dhcpAdd is the argv adding ifname's DHCP server for 192.168.61.0/24 in
// the spelling of VirtualBox line major.
func dhcpAdd(ifname string, major int) []string {
	ip, lo, hi := "--ip", "--lowerip", "--upperip"
	if major >= 7 {
		ip, lo, hi = "--server-ip", "--lower-ip", "--upper-ip"
	}
	return vbm("dhcpserver", "add", "--ifname", ifname, ip, "192.168.61.100",
		"--netmask", "255.255.255.0", lo, "192.168.61.101", hi, "192.168.61.254", "--enable")
}

func TestEnsureHostOnlyDHCP(t *testing.T) {
	created := "0%...100%\nInterface 'vboxnet2' was successfully created\n"
	ipconfig := vbm("hostonlyif", "ipconfig", "vboxnet2", "--ip", "192.168.61.1",
		"--netmask", "255.255.255.0")
	tests := []struct {
		name    string
		script  func(t *testing.T, f *runner.Fake, major int)
		want    string
		wantErr string
	}{
		{"hostonly new adds a dhcp server", func(t *testing.T, f *runner.Fake, major int) {
			f.Expect(fixture(t, "list-hostonlyifs.txt", false), vbm("list", "hostonlyifs")...).
				Expect(created, vbm("hostonlyif", "create")...).
				Expect("", ipconfig...).
				Expect(fixture(t, "list-dhcpservers-6.1.txt", false),
					vbm("list", "dhcpservers")...).
				Expect("", dhcpAdd("vboxnet2", major)...).
				Expect("", vbm("setextradata", "global", "lab/network/vboxnet2", "demo")...)
		}, "vboxnet2", ""},
		{"existing dhcp server is left alone", func(t *testing.T, f *runner.Fake, major int) {
			f.Expect("", vbm("list", "hostonlyifs")...).
				Expect("Interface 'vboxnet0' was successfully created\n",
					vbm("hostonlyif", "create")...).
				Expect("", vbm("hostonlyif", "ipconfig", "vboxnet0", "--ip", "192.168.61.1",
					"--netmask", "255.255.255.0")...).
				Expect(fixture(t, "list-dhcpservers-6.1.txt", true),
					vbm("list", "dhcpservers")...).
				Expect("", vbm("setextradata", "global", "lab/network/vboxnet0", "demo")...)
		}, "vboxnet0", ""},
		{"dhcp failure removes the interface", func(t *testing.T, f *runner.Fake, major int) {
			f.Expect(fixture(t, "list-hostonlyifs.txt", false), vbm("list", "hostonlyifs")...).
				Expect(created, vbm("hostonlyif", "create")...).
				Expect("", ipconfig...).
				Expect("", vbm("list", "dhcpservers")...).
				ExpectResult(runner.Result{ExitCode: 2,
					Stderr: "VBoxManage: error: DHCP server already exists\n"},
					dhcpAdd("vboxnet2", major)...).
				Expect("", vbm("hostonlyif", "remove", "vboxnet2")...)
		}, "", `network "cluster": adding a DHCP server to vboxnet2: running ` +
			`/usr/bin/VBoxManage dhcpserver add --ifname vboxnet2 IP 192.168.61.100 ` +
			`--netmask 255.255.255.0 LO 192.168.61.101 HI 192.168.61.254 --enable: ` +
			`exit status 2: DHCP server already exists`},
	}
	net := &spec.Network{Name: "cluster", Type: spec.NetHostOnly,
		CIDR: netip.MustParsePrefix("192.168.61.0/24")}
	for _, tt := range tests {
		for _, v := range []struct {
			ver   string
			major int
		}{{"6.1.38_Ubuntur153438", 6}, {"7.1.4r165100", 7}} {
			t.Run(tt.name+"/"+v.ver, func(t *testing.T) {
				f := &runner.Fake{}
				d := newDriver(t, v.ver, f)
				d.setLab("demo")
				tt.script(t, f, v.major)
				got, err := d.EnsureNetwork(context.Background(), net)
				verify(t, f)
				if tt.wantErr != "" {
					want := spelled(tt.wantErr, v.major)
					if err == nil || err.Error() != want {
						t.Fatalf("error:\n got %v\nwant %s", err, want)
					}
					return
				}
				if err != nil || got.Attachment != tt.want {
					t.Fatalf("got %+v, %v", got, err)
				}
			})
		}
	}
}

// spelled puts the address options of line major into a wanted message.
func spelled(msg string, major int) string {
	r := map[bool]*strings.Replacer{
		false: strings.NewReplacer(" IP ", " --ip ", " LO ", " --lowerip ", " HI ", " --upperip "),
		true: strings.NewReplacer(" IP ", " --server-ip ", " LO ", " --lower-ip ",
			" HI ", " --upper-ip "),
	}
	return r[major >= 7].Replace(msg)
}
