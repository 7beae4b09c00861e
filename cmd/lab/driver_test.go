package main

import (
	"context"
	"testing"

	"github.com/labtool/lab/internal/spec"
)

// A driver this version does not have is refused before any VM is touched,
// for the lab and for a node asking for its own.
func TestNewDriverRefusesOtherDrivers(t *testing.T) {
	tests := []struct {
		name string
		lab  *spec.Lab
		want string
	}{
		{"lab", &spec.Lab{Name: "x", Driver: "multipass"}, `driver "multipass" is not ` +
			`available in this version of lab; use driver = "virtualbox"`},
		{"node", &spec.Lab{Name: "x", Driver: "virtualbox", Nodes: []*spec.Node{
			{Name: "a", Driver: "virtualbox"}, {Name: "b", Driver: "multipass"}}},
			`node "b": driver "multipass" is not available in this version of lab, which ` +
				`runs every node of a lab on virtualbox; drop the node's driver`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newDriver(context.Background(), tt.lab)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v\nwant %s", err, tt.want)
			}
		})
	}
}
