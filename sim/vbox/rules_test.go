package vbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	lockErr        = errText("modifyvm-locked")
	nameClash      = errText("natpf-name-clash")
	portClash      = errText("natpf-port-clash")
	accessDenied   = errText("hostonly-access-denied")
	bridgeFail     = errText("startvm-bridge-missing")
	notFound       = errText("vm-not-found")
	alreadyStarted = errText("startvm-locked")
	detachEmpty    = errText("storageattach-detach-empty")
)

const notRunning = "VBoxManage: error: Machine 'web-1' is not currently running.\n"

// ruleCase runs setup commands (which must succeed) then one command.
type ruleCase struct {
	name    string
	env     []string // extra environment
	files   map[string]string
	setup   [][]string
	args    []string
	code    int
	stdout  string
	stderr  string
	checkFn func(t *testing.T, s *sim)
}

var (
	mkWeb   = []string{"createvm", "--name", "web-1", "--register"}
	natNIC1 = []string{"modifyvm", "web-1", "--nic1", "nat",
		"--natpf1", "ssh,tcp,127.0.0.1,2222,,22"}
	startWeb = []string{"startvm", "web-1", "--type", "headless"}
)

func TestRules(t *testing.T) {
	cases := []ruleCase{
		{name: "unknown vm", args: []string{"showvminfo", "nope", "--machinereadable"},
			code: 1, stderr: notFound},
		{name: "modifyvm on running vm", setup: [][]string{mkWeb, startWeb},
			args: []string{"modifyvm", "web-1", "--memory", "1024"}, code: 1, stderr: lockErr},
		{name: "modifyvm on paused vm", setup: [][]string{mkWeb, startWeb,
			{"controlvm", "web-1", "pause"}},
			args: []string{"modifyvm", "web-1", "--cpus", "2"}, code: 1, stderr: lockErr},
		{name: "natpf name clash same nic", setup: [][]string{mkWeb, natNIC1},
			args: []string{"modifyvm", "web-1", "--natpf1", "ssh,tcp,127.0.0.1,2200,,22"},
			code: 1, stderr: nameClash},
		{name: "natpf host port clash same nic", setup: [][]string{mkWeb, natNIC1},
			args: []string{"modifyvm", "web-1", "--natpf1", "web,tcp,127.0.0.1,2222,,80"},
			code: 1, stderr: portClash},
		{name: "natpf same rule on another nic", setup: [][]string{mkWeb, natNIC1},
			args: []string{"modifyvm", "web-1", "--nic2", "nat",
				"--natpf2", "ssh,tcp,127.0.0.1,2222,,22"}, code: 0},
		{name: "natpf udp on same port", setup: [][]string{mkWeb, natNIC1},
			args: []string{"modifyvm", "web-1", "--natpf1", "dns,udp,127.0.0.1,2222,,53"}},
		{name: "natpf bad proto", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--natpf1", "x,icmp,,1,,2"}, code: 1,
			stderr: "VBoxManage: error: Invalid proto 'icmp' specfied for NIC 1\n"},
		{name: "natpf too few fields", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--natpf1", "x,tcp,,1"}, code: 2,
			stderr: "VBoxManage: error: Missing or invalid argument to '--natpf'\n"},
		{name: "natpf delete missing", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--natpf1", "delete", "ghost"}, code: 1,
			stderr: "VBoxManage: error: Code NS_ERROR_INVALID_ARG (0x80070057) - Invalid " +
				"argument value (extended info not available)\nVBoxManage: error: Context: " +
				"\"RemoveRedirect(Bstr(ValueUnion.psz).raw())\" at line 1988 of file " +
				"VBoxManageModifyVM.cpp\n"},
		{name: "first failure saves nothing", setup: [][]string{mkWeb, natNIC1},
			args: []string{"modifyvm", "web-1", "--memory", "4096",
				"--natpf1", "ssh,tcp,,2300,,22"}, code: 1, stderr: nameClash,
			checkFn: func(t *testing.T, s *sim) {
				if m := s.machine("web-1"); m.MemoryMB != 128 {
					t.Errorf("memory saved after failure: %d", m.MemoryMB)
				}
			}},
		{name: "bad nic type", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--nic2", "wifi"}, code: 1,
			stderr: "VBoxManage: error: Invalid type 'wifi' specfied for NIC 2\n"},
		{name: "invalid nic number exits 0", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--nic9", "nat"}, code: 0,
			stderr: "VBoxManage: error: Invalid NIC number 9\n"},
		{name: "controlvm on stopped vm", setup: [][]string{mkWeb},
			args: []string{"controlvm", "web-1", "natpf1", "ssh,tcp,,2222,,22"}, code: 1,
			stderr: notRunning},
		{name: "controlvm poweroff on stopped vm", setup: [][]string{mkWeb},
			args: []string{"controlvm", "web-1", "poweroff"}, code: 1, stderr: notRunning},
		{name: "controlvm natpf live", setup: [][]string{mkWeb, natNIC1, startWeb},
			args: []string{"controlvm", "web-1", "natpf1", "web,tcp,,8080,,80"},
			checkFn: func(t *testing.T, s *sim) {
				out := s.must("showvminfo", "web-1", "--machinereadable")
				if !strings.Contains(out, "Forwarding(1)=\"web,tcp,,8080,,80\"\n") {
					t.Errorf("live forward missing:\n%s", out)
				}
			}},
		{name: "controlvm natpf bad proto", setup: [][]string{mkWeb, natNIC1, startWeb},
			args: []string{"controlvm", "web-1", "natpf1", "x,sctp,,1,,2"}, code: 2,
			stderr: "VBoxManage: error: Wrong rule proto 'sctp' specified -- only 'udp' " +
				"and 'tcp' are allowed.\n"},
		{name: "controlvm nic on disabled nic", setup: [][]string{mkWeb, natNIC1, startWeb},
			args: []string{"controlvm", "web-1", "nic3", "intnet", "x"}, code: 1,
			stderr: "VBoxManage: error: The NIC 3 is currently disabled and thus its " +
				"attachment type can't be changed.\n"},
		{name: "startvm twice", setup: [][]string{mkWeb, startWeb}, args: startWeb, code: 1,
			stderr: alreadyStarted},
		{name: "host-only address outside range",
			setup: [][]string{{"hostonlyif", "create"}},
			args:  []string{"hostonlyif", "ipconfig", "vboxnet0", "--ip", "10.10.0.1"},
			code:  1, stderr: accessDenied},
		{name: "host-only address inside default range",
			setup: [][]string{{"hostonlyif", "create"}},
			args:  []string{"hostonlyif", "ipconfig", "vboxnet0", "--ip", "192.168.60.1"}},
		{name: "host-only range from networks.conf",
			files: map[string]string{"vbox/networks.conf": "# lab\n* 10.0.0.0/8 2001::/64\n"},
			setup: [][]string{{"hostonlyif", "create"}},
			args:  []string{"hostonlyif", "ipconfig", "vboxnet0", "--ip", "10.10.0.1"}},
		{name: "networks.conf replaces the default",
			files: map[string]string{"vbox/networks.conf": "* 10.0.0.0/8\n"},
			setup: [][]string{{"hostonlyif", "create"}},
			args:  []string{"hostonlyif", "ipconfig", "vboxnet0", "--ip", "192.168.56.1"},
			code:  1, stderr: accessDenied},
		{name: "no range rule before 6.1.28", env: []string{"LAB_SIM_VBOX_VERSION=6.1.26"},
			setup: [][]string{{"hostonlyif", "create"}},
			args:  []string{"hostonlyif", "ipconfig", "vboxnet0", "--ip", "10.10.0.1"}},
		{name: "missing bridge only warns at modifyvm", setup: [][]string{mkWeb},
			args:   []string{"modifyvm", "web-1", "--nic2", "bridged", "--bridgeadapter2", "eth9"},
			stderr: "VBoxManage: warning: Interface \"eth9\" doesn't seem to exist\n"},
		{name: "missing bridge fails at startvm", setup: [][]string{mkWeb,
			{"modifyvm", "web-1", "--nic2", "bridged", "--bridge-adapter2", "eth9"}},
			args: startWeb, code: 1, stdout: "Waiting for VM \"web-1\" to power on...\n",
			stderr: bridgeFail,
			checkFn: func(t *testing.T, s *sim) {
				if m := s.machine("web-1"); m.State != "poweroff" {
					t.Errorf("state after failed start: %s", m.State)
				}
			}},
		{name: "6.1 refuses new spelling", env: []string{"LAB_SIM_VBOX_VERSION=6.1.50"},
			setup: [][]string{mkWeb},
			args:  []string{"modifyvm", "web-1", "--nat-pf1", "ssh,tcp,,2222,,22"}, code: 2,
			stderr: errText("modifyvm-6.1-new-spelling")},
		{name: "6.1 accepts old spelling", env: []string{"LAB_SIM_VBOX_VERSION=6.1.50"},
			setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--natpf1", "ssh,tcp,,2222,,22",
				"--ostype", "Ubuntu_64", "--nictype1", "virtio", "--macaddress1", "080027000001"}},
		{name: "7.x accepts both spellings", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--nat-pf1", "a,tcp,,1,,2", "--natpf1",
				"b,tcp,,3,,4", "--os-type", "Ubuntu_64", "--ostype", "Ubuntu_64",
				"--mac-address1", "auto", "--cable-connected1", "off"}},
		{name: "getextradata unset", setup: [][]string{mkWeb},
			args: []string{"getextradata", "web-1", "lab/node"}, stdout: "No value set!\n"},
		{name: "extradata enumerate", setup: [][]string{mkWeb,
			{"setextradata", "web-1", "lab/node", "web"}, {"setextradata", "web-1", "lab", "demo"}},
			args:   []string{"getextradata", "web-1", "enumerate"},
			stdout: "Key: lab, Value: demo\nKey: lab/node, Value: web\n"},
		{name: "detach empty slot", setup: [][]string{mkWeb,
			{"storagectl", "web-1", "--name", "IDE Controller", "--add", "ide"}},
			args: []string{"storageattach", "web-1", "--storagectl", "IDE Controller",
				"--port", "1", "--device", "0", "--medium", "none"}, code: 1, stderr: detachEmpty},
		{name: "storageattach grows the SATA port count", setup: [][]string{mkWeb,
			{"storagectl", "web-1", "--name", "SATA Controller", "--add", "sata",
				"--portcount", "1"}},
			args: []string{"storageattach", "web-1", "--storagectl", "SATA Controller",
				"--port", "1", "--device", "0", "--type", "dvddrive", "--medium", "emptydrive"},
			checkFn: func(t *testing.T, s *sim) {
				out := s.must("showvminfo", "web-1", "--machinereadable")
				for _, want := range []string{"storagecontrollerportcount0=\"2\"\n",
					"\"SATA Controller-1-0\"=\"emptydrive\"\n"} {
					if !strings.Contains(out, want) {
						t.Errorf("showvminfo lacks %q", want)
					}
				}
			}},
		{name: "storageattach unknown controller", setup: [][]string{mkWeb},
			args: []string{"storageattach", "web-1", "--storagectl", "SATA", "--port", "0",
				"--device", "0", "--type", "hdd", "--medium", "/nope.vdi"}, code: 1,
			stderr: "VBoxManage: error: Could not find a controller named 'SATA'\n"},
		{name: "modifyvm running wins over bad option", setup: [][]string{mkWeb, startWeb},
			env:  []string{"LAB_SIM_VBOX_VERSION=6.1.50"},
			args: []string{"modifyvm", "web-1", "--nat-pf1", "x"}, code: 1, stderr: lockErr},
		{name: "unregister running vm", setup: [][]string{mkWeb, startWeb},
			args: []string{"unregistervm", "web-1", "--delete"}, code: 1,
			stderr: errText("unregistervm-locked-7")},
		{name: "unregister running vm 6.1", env: []string{"LAB_SIM_VBOX_VERSION=6.1.50"},
			setup: [][]string{mkWeb, startWeb},
			args:  []string{"unregistervm", "web-1", "--delete"}, code: 1,
			stderr: errText("unregistervm-locked-6.1")},
		{name: "7.0 getopt wording", env: []string{"LAB_SIM_VBOX_VERSION=7.0.14"},
			setup: [][]string{mkWeb}, args: []string{"startvm", "web-1", "--delete"}, code: 2,
			stderr: errText("startvm-7.0-unknown-option")},
		{name: "no snapshots", setup: [][]string{mkWeb},
			args: []string{"snapshot", "web-1", "list", "--machinereadable"}, code: 1,
			stdout: "This machine does not have any snapshots\n"},
		{name: "linked clone needs a snapshot", setup: [][]string{mkWeb},
			args: []string{"clonevm", "web-1", "--options", "link", "--name", "c", "--register"},
			code: 1,
			stderr: "VBoxManage: error: Linked clone can only be created from a snapshot\n" +
				"VBoxManage: error: Details: code NS_ERROR_INVALID_ARG (0x80070057), component " +
				"SessionMachine, interface IMachine, callee nsISupports\n" +
				"VBoxManage: error: Context: \"CloneTo(trgMachine, mode, " +
				"ComSafeArrayAsInParam(options), progress.asOutParam())\" at line 746 of file " +
				"VBoxManageMisc.cpp\n"},
		{name: "hostonlyif create picks the lowest free name",
			setup: [][]string{{"hostonlyif", "create"}, {"hostonlyif", "create"},
				{"hostonlyif", "remove", "vboxnet0"}},
			args:   []string{"hostonlyif", "create"},
			stdout: "Interface 'vboxnet0' was successfully created\n",
			stderr: "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\n"},
		{name: "hostonlyif remove unknown", args: []string{"hostonlyif", "remove", "vboxnet7"},
			code: 1,
			stderr: "VBoxManage: error: The host network interface named 'vboxnet7' could not " +
				"be found\nVBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), " +
				"component HostWrap, interface IHost, callee nsISupports\nVBoxManage: error: " +
				"Context: \"FindHostNetworkInterfaceByName(name.raw(), hif.asOutParam())\" at " +
				"line 158 of file VBoxManageHostonly.cpp\n"},
		{name: "natnetwork add twice",
			setup: [][]string{{"natnetwork", "add", "--netname", "n", "--network", "10.0.9.0/24"}},
			args:  []string{"natnetwork", "add", "--netname", "n", "--network", "10.0.9.0/24"},
			code:  2, stderr: "VBoxManage: error: NATNetwork server already exists\n"},
		{name: "natnetwork remove missing", args: []string{"natnetwork", "remove", "--netname", "n"},
			code: 2, stderr: "VBoxManage: error: NATNetwork server does not exist\n"},
		{name: "setlinkstate live", setup: [][]string{mkWeb, startWeb},
			args: []string{"controlvm", "web-1", "setlinkstate1", "off"},
			checkFn: func(t *testing.T, s *sim) {
				if m := s.machine("web-1"); m.NICs[0].Cable {
					t.Errorf("cable still connected")
				}
			}},
		{name: "pause then list runningvms", setup: [][]string{mkWeb, startWeb,
			{"controlvm", "web-1", "pause"}},
			args: []string{"list", "runningvms"}, checkFn: func(t *testing.T, s *sim) {
				if out := s.must("list", "runningvms"); !strings.HasPrefix(out, "\"web-1\" {") {
					t.Errorf("a paused VM is listed as running, got %q", out)
				}
				if m := s.machine("web-1"); m.State != "paused" {
					t.Errorf("state %s", m.State)
				}
				s.must("controlvm", "web-1", "resume")
				if m := s.machine("web-1"); m.State != "running" {
					t.Errorf("after resume: %s", m.State)
				}
			}},
		{name: "bad mac", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--macaddress1", "090027AABBCC"}, code: 1,
			stderr: "VBoxManage: error: Invalid MAC address format\nVBoxManage: error: Details: " +
				"code NS_ERROR_INVALID_ARG (0x80070057), component NetworkAdapterWrap, interface " +
				"INetworkAdapter, callee nsISupports\nVBoxManage: error: Context: " +
				"\"COMSETTER(MACAddress)(Bstr(ValueUnion.psz).raw())\" at line 2034 of file " +
				"VBoxManageModifyVM.cpp\n"},
		{name: "unknown command", args: []string{"frobvm"}, code: 2,
			stderr: errText("invalid-command")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRuleCase(t, tc) })
	}
}

// errText reads an expected stderr from testdata/errors/<name>.err.
func errText(name string) string {
	data, err := os.ReadFile(filepath.Join("testdata", "errors", name+".err"))
	if err != nil {
		panic(err)
	}
	return string(data)
}

func runRuleCase(t *testing.T, tc ruleCase) {
	s := newSim(t, tc.env...)
	for name, body := range tc.files {
		p := filepath.Join(s.home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range tc.setup {
		s.must(a...)
	}
	out, errs, code := s.run(tc.args...)
	if code != tc.code {
		t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errs)
	}
	if errs != tc.stderr {
		t.Errorf("stderr:\n%s\nwant:\n%s", errs, tc.stderr)
	}
	if tc.stdout != "" && out != tc.stdout {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, tc.stdout)
	}
	if tc.checkFn != nil {
		tc.checkFn(t, s)
	}
}
