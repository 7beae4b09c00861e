package vbox

import "testing"

var (
	mkHostIf = []string{"hostonlyif", "create"}
	addDHCP0 = []string{"dhcpserver", "add", "--ifname", "vboxnet0", "--ip", "192.168.56.100",
		"--netmask", "255.255.255.0", "--lowerip", "192.168.56.101",
		"--upperip", "192.168.56.254", "--enable"}
)

// dhcpBlock is one 6.1+ `list dhcpservers` block.
func dhcpBlock(net, ip, lo, hi, mask, enabled string) string {
	return "NetworkName:    " + net + "\nDhcpd IP:       " + ip +
		"\nLowerIPAddress: " + lo + "\nUpperIPAddress: " + hi +
		"\nNetworkMask:    " + mask + "\nEnabled:        " + enabled + "\n\n"
}

func TestDHCPServer(t *testing.T) {
	hostNet := "HostInterfaceNetworking-vboxnet0"
	cases := []ruleCase{
		{name: "list shows none", setup: [][]string{mkHostIf},
			args: []string{"list", "dhcpservers"}, checkFn: noDHCP},
		{name: "add by ifname, 7.x list", setup: [][]string{mkHostIf, addDHCP0},
			args: []string{"list", "dhcpservers"},
			stdout: dhcpBlock(hostNet, "192.168.56.100", "192.168.56.101", "192.168.56.254",
				"255.255.255.0", "Yes")},
		{name: "add by ifname, 6.1 list", env: []string{"LAB_SIM_VBOX_VERSION=6.1.50"},
			setup: [][]string{mkHostIf, addDHCP0}, args: []string{"list", "dhcpservers"},
			stdout: dhcpBlock(hostNet, "192.168.56.100", "192.168.56.101", "192.168.56.254",
				"255.255.255.0", "Yes")},
		{name: "6.0 list shape", env: []string{"LAB_SIM_VBOX_VERSION=6.0.24"},
			setup: [][]string{mkHostIf, addDHCP0}, args: []string{"list", "dhcpservers"},
			stdout: "NetworkName:    " + hostNet + "\nIP:             192.168.56.100\n" +
				"NetworkMask:    255.255.255.0\nlowerIPAddress: 192.168.56.101\n" +
				"upperIPAddress: 192.168.56.254\nEnabled:        Yes\n\n"},
		{name: "7.x spellings by netname",
			setup: [][]string{{"dhcpserver", "add", "--netname", "lab-int", "--server-ip",
				"10.9.0.2", "--netmask", "255.255.0.0", "--lower-ip", "10.9.1.1",
				"--upper-ip", "10.9.1.9", "--disable"}},
			args:   []string{"list", "dhcpservers"},
			stdout: dhcpBlock("lab-int", "10.9.0.2", "10.9.1.1", "10.9.1.9", "255.255.0.0", "No")},
		{name: "modify disables", setup: [][]string{mkHostIf, addDHCP0,
			{"dhcpserver", "modify", "--netname", hostNet, "--disable",
				"--upperip", "192.168.56.200"}},
			args: []string{"list", "dhcpservers"},
			stdout: dhcpBlock(hostNet, "192.168.56.100", "192.168.56.101", "192.168.56.200",
				"255.255.255.0", "No")},
		{name: "add twice", setup: [][]string{mkHostIf, addDHCP0}, args: addDHCP0, code: 2,
			stderr: "VBoxManage: error: DHCP server already exists\n"},
		{name: "modify missing", setup: [][]string{mkHostIf},
			args: []string{"dhcpserver", "modify", "--ifname", "vboxnet0", "--enable"}, code: 2,
			stderr: "VBoxManage: error: DHCP server does not exist\n"},
		{name: "remove missing", args: []string{"dhcpserver", "remove", "--netname", "x"},
			code: 2, stderr: "VBoxManage: error: DHCP server does not exist\n"},
		{name: "remove then list", setup: [][]string{mkHostIf, addDHCP0,
			{"dhcpserver", "remove", "--ifname", "vboxnet0"}},
			args: []string{"list", "dhcpservers"}, checkFn: noDHCP},
		{name: "hostonlyif remove drops its server", setup: [][]string{mkHostIf, addDHCP0,
			{"hostonlyif", "remove", "vboxnet0"}, mkHostIf},
			args: []string{"dhcpserver", "remove", "--ifname", "vboxnet0"}, code: 2,
			stderr: "VBoxManage: error: DHCP server does not exist\n"},
		{name: "unknown interface", args: addDHCP0, code: 1,
			stderr: "VBoxManage: error: The host network interface named 'vboxnet0' could " +
				"not be found\nVBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND " +
				"(0x80bb0001), component HostWrap, interface IHost, callee nsISupports\n" +
				"VBoxManage: error: Context: \"FindHostNetworkInterfaceByName(" +
				"Bstr(pszInterface).raw(), hif.asOutParam())\" at line 1209 of file " +
				"VBoxManageDHCPServer.cpp\n"},
		{name: "bad address", setup: [][]string{mkHostIf},
			args: []string{"dhcpserver", "modify", "--ifname", "vboxnet0", "--ip", "x"},
			code: 2, stderr: "VBoxManage: error: Invalid --ip address 'x'\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRuleCase(t, tc) })
	}
}

// noDHCP fails when `list dhcpservers` prints anything.
func noDHCP(t *testing.T, s *sim) {
	if out := s.must("list", "dhcpservers"); out != "" {
		t.Errorf("list dhcpservers: %q, want nothing", out)
	}
}
