package vbox

import (
	"os"
	"path/filepath"
	"testing"
)

func TestShowVMInfoGolden(t *testing.T) {
	cases := []struct {
		golden, version string
		args            []string
	}{
		{"showvminfo-7.1-running.out", "7.1.4", []string{"showvminfo", "web-1", "--machinereadable"}},
		{"showvminfo-6.1-running.out", "6.1.50", []string{"showvminfo", "web-1", "--machinereadable"}},
		{"showvminfo-7.1-ich9-quoted.out", "7.1.4",
			[]string{"showvminfo", "9d2e4f60-1a3b-4c5d-8e7f-a0b1c2d3e4f5", "--machinereadable"}},
		{"showvminfo-7.1-human.out", "7.1.4", []string{"showvminfo", "web-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			s := newSim(t, "LAB_SIM_VBOX_VERSION="+tc.version)
			s.seed()
			golden(t, tc.golden, s.must(tc.args...))
		})
	}
}

func TestListGolden(t *testing.T) {
	cases := []struct {
		golden, version string
		args            []string
	}{
		{"list-vms.out", "7.1.4", []string{"list", "vms"}},
		{"list-runningvms.out", "7.1.4", []string{"list", "runningvms"}},
		{"list-hostonlyifs.out", "7.1.4", []string{"list", "hostonlyifs"}},
		{"list-bridgedifs.out", "7.1.4", []string{"list", "bridgedifs"}},
		{"list-natnets-7.1.out", "7.1.4", []string{"list", "natnets"}},
		{"list-natnets-6.1.out", "6.1.50", []string{"list", "natnets"}},
		{"list-dhcpservers.out", "7.1.4", []string{"list", "dhcpservers"}},
		{"list-systemproperties.out", "7.1.4", []string{"list", "systemproperties"}},
		{"natnetwork-list-7.1.out", "7.1.4", []string{"natnetwork", "list"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			s := newSim(t, "LAB_SIM_VBOX_VERSION="+tc.version)
			s.seed()
			golden(t, tc.golden, s.homeless(s.must(tc.args...)))
		})
	}
}

func TestBridgedIfsFromFile(t *testing.T) {
	s := newSim(t)
	data := `[{"name":"enp3s0","guid":"00000000-0000-0000-0000-000000000001",` +
		`"ip":"192.168.1.20","netmask":"255.255.255.0","mac":"30:9c:23:3b:62:a9","status":"Up"}]`
	if err := os.MkdirAll(filepath.Join(s.home, "vbox"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := os.WriteFile(filepath.Join(s.home, "vbox", "bridgedifs.json"), []byte(data), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "list-bridgedifs-file.out", s.must("list", "bridgedifs"))
}

func TestVersion(t *testing.T) {
	cases := map[string]string{"": "7.1.4r165100\n", "6.1.50": "6.1.50r161033\n",
		"7.0.14r161095": "7.0.14r161095\n"}
	for v, want := range cases {
		s := newSim(t, "LAB_SIM_VBOX_VERSION="+v)
		if got := s.must("--version"); got != want {
			t.Errorf("version %q: got %q, want %q", v, got, want)
		}
	}
}
