package spec

import (
	"net/netip"
	"testing"
)

func TestHostOnlyDHCP(t *testing.T) {
	tests := []struct {
		cidr                 string
		server, lower, upper string
		ok                   bool
	}{
		{"192.168.61.0/24", "192.168.61.100", "192.168.61.101", "192.168.61.254", true},
		{"192.168.61.7/24", "192.168.61.100", "192.168.61.101", "192.168.61.254", true},
		{"10.20.0.0/16", "10.20.0.100", "10.20.0.101", "10.20.255.254", true},
		{"192.168.56.128/25", "192.168.56.228", "192.168.56.229", "192.168.56.254", true},
		{"192.168.56.64/26", "192.168.56.96", "192.168.56.97", "192.168.56.126", true},
		{"192.168.56.8/29", "192.168.56.12", "192.168.56.13", "192.168.56.14", true},
		{"192.168.56.4/30", "", "", "", false},
		{"fd00::/64", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.cidr, func(t *testing.T) {
			got, ok := HostOnlyDHCP(netip.MustParsePrefix(tt.cidr))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if got.Server.String() != tt.server || got.Lower.String() != tt.lower ||
				got.Upper.String() != tt.upper {
				t.Errorf("got %s %s-%s, want %s %s-%s", got.Server, got.Lower, got.Upper,
					tt.server, tt.lower, tt.upper)
			}
		})
	}
}
