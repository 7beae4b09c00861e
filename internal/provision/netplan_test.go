package provision

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/labtool/lab/internal/spec"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// testMACs derives MACs as lab does, from a fixed lab id.
func testMACs(node string) func(int) string {
	return func(slot int) string { return spec.DeriveMAC("lab-test-id", node, slot) }
}

func netplanNodes() map[string]*spec.Node {
	lan := &spec.Network{Name: "lan", Type: spec.NetBridged}
	ho := &spec.Network{Name: "ho", Type: spec.NetHostOnly,
		CIDR: netip.MustParsePrefix("192.168.56.0/24")}
	return map[string]*spec.Node{
		"nat-only": {Name: "solo"},
		"static": {Name: "cp", NICs: []*spec.NIC{{Name: "ho", Slot: 2, Network: ho,
			Address: netip.MustParsePrefix("192.168.56.11/24"), DefaultRoute: true}}},
		"mixed": {Name: "worker-1", NICs: []*spec.NIC{
			{Name: "lan", Slot: 2, Network: lan, DefaultRoute: true},
			{Name: "ho", Slot: 3, Network: ho, DefaultRoute: false},
			{Name: "gw", Slot: 4, Network: ho, DefaultRoute: true,
				Address: netip.MustParsePrefix("192.168.56.12/24"),
				Gateway: netip.MustParseAddr("192.168.56.1")},
			{Name: "lan2", Slot: 5, Network: lan, DefaultRoute: true, MAC: "0800270A0B0C"},
		}},
	}
}

func TestNetplanConfigGolden(t *testing.T) {
	lab := &spec.Lab{Name: "demo"}
	for name, node := range netplanNodes() {
		t.Run(name, func(t *testing.T) {
			got := NetplanConfig(lab, node, testMACs(node.Name))
			again := NetplanConfig(lab, node, testMACs(node.Name))
			if string(got) != string(again) {
				t.Fatalf("output not deterministic")
			}
			golden := filepath.Join("testdata", "netplan", name+".yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			var parsed struct {
				Network struct {
					Version   int                       `yaml:"version"`
					Ethernets map[string]map[string]any `yaml:"ethernets"`
				} `yaml:"network"`
			}
			if err := yaml.Unmarshal(got, &parsed); err != nil {
				t.Fatalf("not YAML: %v", err)
			}
			if parsed.Network.Version != 2 || len(parsed.Network.Ethernets) != len(node.NICs) {
				t.Errorf("parsed %+v", parsed)
			}
		})
	}
}

func TestDefaultRouteMetrics(t *testing.T) {
	tests := map[string]map[int]int{
		"nat-only": {1: 100},
		"static":   {1: 100},
		"mixed":    {1: 100, 2: 10, 4: 11, 5: 12},
	}
	nodes := netplanNodes()
	for name, want := range tests {
		if got := DefaultRouteMetrics(nodes[name]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
}
