package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

// nodeStatus is one row of `lab status`.
type nodeStatus struct {
	Node      string   `json:"node"`
	VM        string   `json:"vm"`
	State     string   `json:"state"`
	SSH       string   `json:"ssh,omitempty"`
	Addresses []string `json:"addresses"`
}

func (a *app) statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the lab's nodes: state, SSH port and addresses",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.status(cmd.Context(), asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the table as JSON")
	return cmd
}

// status prints each node of the Labfile with what runs for it.
func (a *app) status(ctx context.Context, asJSON bool) error {
	s, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	defer s.close()
	var rows []nodeStatus
	for _, n := range s.lab.Nodes {
		row := nodeStatus{Node: n.Name, VM: s.lab.VMName(n), State: "not created",
			Addresses: addresses(n)}
		if vm := s.live.VMs[row.VM]; vm != nil {
			row.State = string(vm.State)
			if !vm.Ours(s.lab.Name) {
				row.State += " (not lab's)"
			}
			if port := plan.SSHPort(vm); port > 0 {
				row.SSH = fmt.Sprintf("127.0.0.1:%d", port)
			}
		}
		rows = append(rows, row)
	}
	if asJSON {
		enc := json.NewEncoder(a.h.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(a.h.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tVM\tSTATE\tSSH\tADDRESSES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Node, r.VM, r.State, dash(r.SSH),
			strings.Join(r.Addresses, ", "))
	}
	return tw.Flush()
}

// addresses lists a node's lab addresses as the Labfile sets them.
func addresses(n *spec.Node) []string {
	out := []string{}
	for _, nic := range n.NICs {
		addr := "dhcp"
		if nic.Address.IsValid() {
			addr = nic.Address.String()
		}
		out = append(out, fmt.Sprintf("%s %s", nic.Network.Name, addr))
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
