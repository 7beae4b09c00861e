package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/runner"
	"github.com/labtool/lab/internal/spec"
)

type execFlags struct {
	node string
	argv []string
}

func (a *app) execCmd() *cobra.Command {
	var f execFlags
	return &cobra.Command{
		Use:   "exec NODE -- COMMAND [ARG...]",
		Short: "Run a command on a node over SSH; its exit code is lab's",
		Long: "Run a command on a node over SSH as the login user. The words after -- are\n" +
			"passed as they are, without a shell: use `sh -c '...'` for pipes and `sudo`\n" +
			"for root. lab exits with the command's exit code.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 || cmd.ArgsLenAtDash() != 1 {
				return fmt.Errorf("usage: lab exec NODE -- COMMAND [ARG...] " +
					"(name the node, then the command after --)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.node, f.argv = args[0], args[1:]
			return a.exec(cmd.Context(), f)
		},
	}
}

// exec runs argv on the node and passes its exit code through.
func (a *app) exec(ctx context.Context, f execFlags) error {
	s, n, vm, err := a.reach(ctx, f.node)
	if err != nil {
		return err
	}
	defer s.close()
	quoted := make([]string, len(f.argv))
	for i, arg := range f.argv {
		quoted[i] = runner.QuotePOSIX(arg)
	}
	code, err := s.guests.Exec(ctx, n, vm.Name, plan.SSHPort(vm), strings.Join(quoted, " "),
		a.h.Stdio)
	if err != nil {
		return err
	}
	return exitWith(code)
}

func (a *app) sshCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ssh NODE [-- COMMAND [ARG...]]",
		Short: "Open an interactive shell on a node, or run a command as exec does",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				if cmd.ArgsLenAtDash() != 1 {
					return fmt.Errorf("usage: lab ssh NODE [-- COMMAND [ARG...]]")
				}
				return a.exec(cmd.Context(), execFlags{node: args[0], argv: args[1:]})
			}
			return a.ssh(cmd.Context(), args[0])
		},
	}
}

// ssh opens a login shell on the node.
func (a *app) ssh(ctx context.Context, node string) error {
	s, n, vm, err := a.reach(ctx, node)
	if err != nil {
		return err
	}
	defer s.close()
	code, err := s.guests.Shell(ctx, n, vm.Name, plan.SSHPort(vm), a.h.Stdio)
	if err != nil {
		return err
	}
	return exitWith(code)
}

// reach opens the lab and finds a running node's VM.
func (a *app) reach(ctx context.Context, node string) (*session, *spec.Node, *drivers.VM,
	error) {
	s, err := a.open(ctx, false)
	if err != nil {
		return nil, nil, nil, err
	}
	n := s.lab.Node(node)
	vm := (*drivers.VM)(nil)
	if n != nil {
		vm = s.live.VMs[s.lab.VMName(n)]
	}
	switch {
	case n == nil:
		err = fmt.Errorf("no node %q in the Labfile", node)
	case vm == nil || !vm.Ours(s.lab.Name):
		err = fmt.Errorf("node %q has no VM: run `lab up %s` first", node, node)
	case vm.State != drivers.Running:
		err = fmt.Errorf("node %q is %s: run `lab start %s` first", node, vm.State, node)
	case plan.SSHPort(vm) == 0:
		err = fmt.Errorf("node %q has no SSH forward: run `lab up %s` to add it", node, node)
	}
	if err != nil {
		s.close()
		return nil, nil, nil, err
	}
	return s, n, vm, nil
}

// exitWith passes a remote exit code through, silently.
func exitWith(code int) error {
	if code == 0 {
		return nil
	}
	return &exitErr{code: code}
}
