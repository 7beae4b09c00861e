package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/labtool/lab/internal/spec"
)

func (a *app) outputCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "output [NAME]",
		Short: "Print the Labfile's outputs, or the value of one",
		Long: "output prints every output as name = value, sensitive ones masked;\n" +
			"with NAME it prints that output's value alone, sensitive or not.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, err := a.load()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				return a.printOutput(lab, args[0], asJSON)
			}
			return a.printOutputs(lab, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// printOutputs prints every output, masking the sensitive ones.
func (a *app) printOutputs(lab *spec.Lab, asJSON bool) error {
	if asJSON {
		type out struct {
			Value     string `json:"value"`
			Sensitive bool   `json:"sensitive"`
		}
		all := map[string]out{}
		for _, o := range lab.Outputs {
			all[o.Name] = out{Value: shown(o), Sensitive: o.Sensitive}
		}
		enc := json.NewEncoder(a.h.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	for _, o := range lab.Outputs {
		fmt.Fprintf(a.h.Out, "%s = %s\n", o.Name, shown(o))
	}
	return nil
}

func shown(o *spec.Output) string {
	if o.Sensitive {
		return "(sensitive)"
	}
	return o.Value
}

// printOutput prints one output's raw value.
func (a *app) printOutput(lab *spec.Lab, name string, asJSON bool) error {
	for _, o := range lab.Outputs {
		if o.Name != name {
			continue
		}
		if asJSON {
			return json.NewEncoder(a.h.Out).Encode(o.Value)
		}
		_, err := fmt.Fprintln(a.h.Out, o.Value)
		return err
	}
	var names []string
	for _, o := range lab.Outputs {
		names = append(names, o.Name)
	}
	if len(names) == 0 {
		return fmt.Errorf("no output %q: the Labfile has no outputs", name)
	}
	return fmt.Errorf("no output %q in the Labfile; it has %s", name, strings.Join(names, ", "))
}
