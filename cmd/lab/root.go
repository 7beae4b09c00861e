package main

import (
	"context"

	"github.com/spf13/cobra"
)

// globals are the flags every command takes.
type globals struct {
	file string   // the Labfile
	vars []string // --var name=value
}

// app runs commands against one Host.
type app struct {
	h Host
	g globals
	// sensitive are the loaded Labfile's sensitive values: no error line
	// may show them.
	sensitive []string
}

// run parses args, runs the command and returns the process exit code.
func run(ctx context.Context, h Host, args []string) int {
	a := &app{h: h}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(h.In)
	root.SetOut(h.Out)
	root.SetErr(h.Err)
	return exitCode(root.ExecuteContext(ctx), &redactor{w: h.Err, a: a})
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "lab",
		Short: "A VM lab as a file in git: plan it, bring it up, tear it down",
		Long: "lab reads a Labfile, compares it with what runs in the hypervisor,\n" +
			"shows the plan, and applies exactly that plan.",
		Version:       a.h.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&a.g.file, "file", "f", "Labfile",
		"the Labfile to use")
	root.PersistentFlags().StringArrayVar(&a.g.vars, "var", nil,
		"set a variable: --var name=value (repeatable)")
	root.AddCommand(a.validateCmd(), a.fmtCmd(), a.planCmd(), a.upCmd(), a.statusCmd(),
		a.powerCmd(true), a.powerCmd(false), a.destroyCmd(), a.execCmd(), a.sshCmd(),
		a.outputCmd())
	return root
}
