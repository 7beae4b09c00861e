package provision

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/spec"
)

func TestInterfacesConfigGolden(t *testing.T) {
	links, err := ParseIPAddr([]byte(readFixture("ip/addr.json")))
	if err != nil {
		t.Fatal(err)
	}
	node := checkNode()
	node.NICs[0].Gateway = netip.MustParseAddr("192.168.56.1")
	node.NICs[0].Name = "z-static" // slot order, not name order
	cfg := NetplanConfig(&spec.Lab{Name: "demo"}, node, testMACs("cp"))
	got, names, err := interfacesConfig(cfg, links)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, " ") != "enp0s8 enp0s9 enp0s10" {
		t.Errorf("names %v", names)
	}
	golden := filepath.Join("testdata", "ifupdown", "cp")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	other := NetplanConfig(&spec.Lab{Name: "demo"}, node, testMACs("web"))
	if _, _, err := interfacesConfig(other, links); err == nil ||
		!strings.Contains(err.Error(), "no interface has MAC") {
		t.Errorf("unknown MAC: %v", err)
	}
}

func TestConfigureIfupdown(t *testing.T) {
	cfg := NetplanConfig(&spec.Lab{Name: "demo"}, checkNode(), testMACs("cp"))
	tests := []struct {
		name    string
		ifup    reply
		wantErr string
	}{
		{"ok", reply{}, ""},
		// ifupdown 0.7 prints the failure and still exits 0.
		{"old ifup fails", reply{stdout: "RTNETLINK answers: File exists\n" +
			"Failed to bring up enp0s8.\n"}, "ifup enp0s8 failed (exit 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newScriptedGuest(map[string]reply{
				"command -v netplan":     {code: 1},
				"ip -j addr":             {stdout: readFixture("ip/addr.json")},
				"sudo -n ifdown enp0s8 ": tt.ifup,
			})
			err := ConfigureNetwork(context.Background(), g, cfg)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" &&
				(err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
			installed := false
			for _, c := range g.ran {
				installed = installed || strings.Contains(c, " "+InterfacesPath+";")
			}
			if !installed {
				t.Errorf("commands %q", g.ran)
			}
		})
	}
}
