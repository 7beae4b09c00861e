package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

type powerFlags struct {
	start bool
	nodes []string
}

func (a *app) powerCmd(start bool) *cobra.Command {
	f := powerFlags{start: start}
	use, short := "stop [NODE...]", "Shut the lab's VMs (or the NODEs named) down"
	if start {
		use, short = "start [NODE...]", "Start the lab's stopped VMs (or the NODEs named)"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.nodes = args
			return a.power(cmd.Context(), f)
		},
	}
}

// power starts or stops VMs as a small plan of start or stop actions.
func (a *app) power(ctx context.Context, f powerFlags) error {
	s, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	defer s.close()
	p, err := plan.PowerPlan(s.lab, s.live, s.labID, f.nodes, f.start)
	if err != nil {
		return err
	}
	if f.start {
		if err := a.checkStartPorts(s, p); err != nil {
			return err
		}
	}
	if p.Empty() {
		state := "stopped"
		if f.start {
			state = "running"
		}
		fmt.Fprintf(a.h.Err, "Every VM asked for is already %s.\n", state)
		return nil
	}
	return a.execute(ctx, s, p, map[bool]string{true: "start", false: "stop"}[f.start])
}

type destroyFlags struct {
	autoApprove bool
	nodes       []string
}

func (a *app) destroyCmd() *cobra.Command {
	var f destroyFlags
	cmd := &cobra.Command{
		Use:   "destroy [NODE...]",
		Short: "Delete the lab's VMs (or the NODEs named) and their host key pins",
		RunE: func(cmd *cobra.Command, args []string) error {
			f.nodes = args
			return a.destroy(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&f.autoApprove, "auto-approve", false, "do not ask")
	return cmd
}

// destroy shows the destroy plan, confirms it and applies it.
func (a *app) destroy(ctx context.Context, f destroyFlags) error {
	s, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	defer s.close()
	p, err := apply.DestroyPlan(ctx, s.driver, s.lab, s.live, s.labID, f.nodes)
	if err != nil {
		return err
	}
	if p.Empty() {
		fmt.Fprintf(a.h.Err, "Lab %s has nothing to destroy.\n", s.lab.Name)
		return nil
	}
	if err := a.showPlan(p, false); err != nil {
		return err
	}
	if err := a.confirm(p, f.autoApprove, "destroy", f.nodes); err != nil {
		return err
	}
	if err := a.execute(ctx, s, p, "destroy"); err != nil {
		return err
	}
	if len(f.nodes) > 0 {
		return nil
	}
	// A kubeconfig written outside .lab/ may hold more than lab's cluster.
	for _, c := range s.lab.Clusters {
		if err := s.dir.RemoveOwn(c.Kubeconfig); err != nil {
			return fmt.Errorf("removing the kubeconfig of cluster %s: %w", c.Name, err)
		}
	}
	return nil
}

// checkStartPorts refuses to start VMs whose forwards' host ports another
// program holds: the VM would start with dead forwards. `lab up` moves
// lab's own SSH port; a Labfile forward needs the user.
func (a *app) checkStartPorts(s *session, p *plan.Plan) error {
	var nodes []*spec.Node
	for _, np := range p.Nodes {
		nodes = append(nodes, s.lab.Node(np.Name))
	}
	if err := apply.CheckForwardPorts(s.lab, nodes, s.live, a.h.Bindable); err != nil {
		return err
	}
	for _, np := range p.Nodes {
		if np.SSHPort > 0 && !a.h.Bindable(np.SSHPort) {
			return fmt.Errorf("node %q: its SSH port %d on 127.0.0.1 is in use by another "+
				"program; `lab up` starts it on a new port", np.Name, np.SSHPort)
		}
	}
	return nil
}
