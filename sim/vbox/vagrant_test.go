package vbox

import (
	"strings"
	"testing"
)

// mrLines returns the showvminfo --machinereadable lines of a VM whose key
// starts with one of the prefixes, in output order.
func mrLines(t *testing.T, s *sim, vm string, prefixes ...string) []string {
	t.Helper()
	var got []string
	for _, l := range strings.Split(s.must("showvminfo", vm, "--machinereadable"), "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				got = append(got, l)
				break
			}
		}
	}
	return got
}

// wantLines is a checkFn asserting the web-1 lines with the given prefixes.
func wantLines(want []string, prefixes ...string) func(*testing.T, *sim) {
	return func(t *testing.T, s *sim) {
		t.Helper()
		got := mrLines(t, s, "web-1", prefixes...)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("showvminfo lines:\n%s\nwant:\n%s",
				strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestVagrantModifyVM covers the modifyvm options Vagrant 2.3.4 sends while
// bringing up a box: the ubuntu/jammy64 box Vagrantfile's customization
// (--uartmode1 file /dev/null) and SaneDefaults (--natdnsproxy1,
// --natdnshostresolver1).
func TestVagrantModifyVM(t *testing.T) {
	v70 := []string{"LAB_SIM_VBOX_VERSION=7.0.14"}
	v61 := []string{"LAB_SIM_VBOX_VERSION=6.1.50"}
	uartKeys := []string{"uart"}
	cases := []ruleCase{
		{name: "uartmode file on a disabled port", env: v70, setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--uartmode1", "file", "/dev/null"},
			checkFn: wantLines([]string{`uart1="off"`, `uart2="off"`, `uart3="off"`,
				`uart4="off"`}, uartKeys...)},
		{name: "uart enabled then file mode", env: v70, setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--uart1", "0x3F8", "4",
				"--uartmode1", "file", "/dev/null"},
			checkFn: wantLines([]string{`uart1="0x03f8,4"`, `uartmode1="file,/dev/null"`,
				`uarttype1="16550A"`, `uart2="off"`, `uart3="off"`, `uart4="off"`},
				uartKeys...)},
		{name: "7.x spellings", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--uart2", "0x2f8", "3",
				"--uart-mode2", "tcpserver", "2023", "--uart-type2", "16750"},
			checkFn: wantLines([]string{`uart1="off"`, `uart2="0x02f8,3"`,
				`uartmode2="tcpserver,2023"`, `uarttype2="16750"`, `uart3="off"`,
				`uart4="off"`}, uartKeys...)},
		{name: "uart disconnected mode", setup: [][]string{mkWeb,
			{"modifyvm", "web-1", "--uart1", "0x3f8", "4", "--uartmode1", "file", "/dev/null"}},
			args: []string{"modifyvm", "web-1", "--uartmode1", "disconnected"},
			checkFn: wantLines([]string{`uart1="0x03f8,4"`, `uartmode1="disconnected"`},
				"uart1", "uartmode1")},
		{name: "uart off", setup: [][]string{mkWeb,
			{"modifyvm", "web-1", "--uart1", "0x3f8", "4"}},
			args:    []string{"modifyvm", "web-1", "--uart1", "off"},
			checkFn: wantLines([]string{`uart1="off"`}, "uart1", "uartmode1")},
		{name: "uartmode file without a path", env: v70, setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--uartmode1", "file"}, code: 2,
			stderr: v70Logo + "VBoxManage: error: --uartmode1: " +
				"VERR_GETOPT_REQUIRED_ARGUMENT_MISSING\n"},
		{name: "6.1 refuses the 7.x uart spelling", env: v61, setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--uart-mode1", "file", "/dev/null"}, code: 2,
			stderr: v61Logo + "VBoxManage: error: Unknown option: --uart-mode1\n"},
		{name: "natdnsproxy on", env: v70, setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--natdnsproxy1", "on"},
			checkFn: func(t *testing.T, s *sim) {
				if v := s.machine("web-1").Settings["natdnsproxy1"]; v != "on" {
					t.Errorf("natdnsproxy1 = %q, want on", v)
				}
			}},
		{name: "natdnshostresolver off", env: v70, setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--natdnshostresolver1", "off"}},
		{name: "nat-dns-proxy 7.x spelling", setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--nat-dns-proxy1", "off"}},
		{name: "natdnsproxy bad value", env: v70, setup: [][]string{mkWeb},
			args: []string{"modifyvm", "web-1", "--natdnsproxy1", "yes"}, code: 2,
			stderr: v70Logo + "VBoxManage: error: Invalid argument format: yes\n"},
		{name: "natdnsproxy on a running vm", env: v70, setup: [][]string{mkWeb, startWeb},
			args: []string{"modifyvm", "web-1", "--natdnsproxy1", "on"}, code: 1,
			stderr: lockErr},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runRuleCase(t, tc) })
	}
}

const (
	v70Logo = "Oracle VM VirtualBox Command Line Management Interface Version 7.0.14\n" +
		"Copyright (C) 2005-2024 Oracle and/or its affiliates\n\n"
	v61Logo = "Oracle VM VirtualBox Command Line Management Interface Version 6.1.50\n" +
		"(C) 2005-2024 Oracle Corporation\nAll rights reserved.\n\n"
)
