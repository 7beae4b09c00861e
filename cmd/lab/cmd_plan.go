package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/provision"
)

// stopTimeout is how long a guest gets to shut down before power off.
const stopTimeout = 90 * time.Second

type planFlags struct {
	detailed bool
	json     bool
}

func (a *app) planCmd() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what `lab up` would change, and why",
		Long: "plan compares the Labfile with the live VMs and prints the actions\n" +
			"`lab up` would take. With --detailed-exitcode it exits 0 when there is\n" +
			"nothing to change, 2 when there are changes and 1 on error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.plan(cmd.Context(), f) },
	}
	cmd.Flags().BoolVar(&f.detailed, "detailed-exitcode", false,
		"exit 2 when there are changes, 0 when none")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the plan as JSON")
	return cmd
}

// plan prints the plan of the whole lab.
func (a *app) plan(ctx context.Context, f planFlags) error {
	s, err := a.open(ctx, false)
	if err != nil {
		return err
	}
	defer s.close()
	p, err := a.diff(s, nil)
	if err != nil {
		return err
	}
	if err := a.showPlan(p, f.json); err != nil {
		return err
	}
	if f.detailed && p.HasChanges() {
		return &exitErr{code: exitChanges}
	}
	return nil
}

type upFlags struct {
	autoApprove bool
	json        bool
	nodes       []string
}

func (a *app) upCmd() *cobra.Command {
	var f upFlags
	cmd := &cobra.Command{
		Use:   "up [NODE...]",
		Short: "Plan, show the plan, and apply exactly that plan",
		Long: "up plans the lab (or only the NODEs named), prints the plan and applies\n" +
			"it. A plan that destroys or replaces a VM needs a yes on a terminal, or\n" +
			"--auto-approve; without a terminal it stops with exit 1.",
		RunE: func(cmd *cobra.Command, args []string) error {
			f.nodes = args
			return a.up(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&f.autoApprove, "auto-approve", false,
		"stop, destroy or replace VMs without asking")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the plan as JSON")
	return cmd
}

// up plans, shows, confirms when needed, applies and prints the outputs.
func (a *app) up(ctx context.Context, f upFlags) error {
	s, err := a.open(ctx, true)
	if err != nil {
		return err
	}
	defer s.close()
	p, err := a.diff(s, f.nodes)
	if err != nil {
		return err
	}
	if err := a.showPlan(p, f.json); err != nil {
		return err
	}
	if !p.Empty() {
		if err := a.confirm(p, f.autoApprove, "up", f.nodes); err != nil {
			return err
		}
		if err := a.execute(ctx, s, p, "up"); err != nil {
			return err
		}
	}
	if len(f.nodes) > 0 || f.json {
		return nil
	}
	return a.printOutputs(s.lab, false)
}

// again is the command line that repeats this run with --auto-approve,
// with the same Labfile and nodes, so a copied hint acts on the same lab;
// "" when --var was given, whose values may be sensitive.
func (a *app) again(command string, nodes []string) string {
	if len(a.g.vars) > 0 {
		return ""
	}
	out := []string{"lab"}
	if a.g.file != "Labfile" {
		out = append(out, "-f", provision.ShellQuote(a.g.file))
	}
	out = append(out, command, "--auto-approve")
	for _, n := range nodes {
		out = append(out, provision.ShellQuote(n))
	}
	return strings.Join(out, " ")
}

// errRefused ends a run whose destructive plan was not approved.
var errRefused = errors.New("nothing was changed")

// confirm asks before a plan destroys, replaces or stops VMs: on a terminal
// it wants "yes"; without one it refuses a plan that destroys or replaces
// unless --auto-approve was given (a stop and start goes ahead).
func (a *app) confirm(p *plan.Plan, autoApprove bool, command string, nodes []string) error {
	if autoApprove || !p.Disruptive() {
		return nil
	}
	if !a.h.InTTY {
		if !p.Destructive() {
			return nil
		}
		hint := "add --auto-approve to the same command to go ahead"
		if again := a.again(command, nodes); again != "" {
			hint = fmt.Sprintf("add --auto-approve to go ahead (`%s`)", again)
		}
		return fmt.Errorf("the plan destroys or replaces VMs and there is no terminal to "+
			"confirm it: %s; %w", hint, errRefused)
	}
	fmt.Fprint(a.h.Err, "\nThis plan stops, destroys or replaces VMs. Type yes to go ahead: ")
	line, _ := bufio.NewReader(a.h.In).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return fmt.Errorf("not confirmed: %w", errRefused)
	}
	return nil
}
