package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/plan"
)

// planDoc is the JSON form of a plan: the Plan itself plus its summary.
type planDoc struct {
	FormatVersion string `json:"format_version"`
	*plan.Plan
	Summary    plan.Summary `json:"summary"`
	HasChanges bool         `json:"has_changes"`
}

// PlanJSON writes the plan as one indented JSON document; it is the
// source the human view renders from.
func PlanJSON(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	doc := planDoc{FormatVersion: "1", Plan: p, Summary: p.Summary(), HasChanges: p.HasChanges()}
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing plan json: %w", err)
	}
	return nil
}

// PlanText writes the plan for a person.
func PlanText(w io.Writer, p *plan.Plan, st Style) error {
	var b strings.Builder
	if p.Empty() {
		fmt.Fprintf(&b, "Lab %s is up to date: nothing to do.\n", p.Lab)
		writeWarnings(&b, p.Warnings, st)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "Lab %s (%s, lab id %s) will change as follows.\n", p.Lab, p.Driver, p.LabID)
	b.WriteString(st.Dim("  + create  ~ update  - destroy  -/+ replace  "+
		"> start  < stop  * run") + "\n")
	// Networks are made before the nodes and removed after them.
	writeNetworks(&b, p.Networks, false, st)
	for _, n := range p.Nodes {
		if len(n.Actions) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\nnode %s (%s)\n", st.Bold(n.Name), n.VM)
		for _, a := range n.Actions {
			writeAction(&b, a, st)
			if a.Object == plan.ObjGuestNetwork {
				writeRoutes(&b, n.Routes)
			}
		}
	}
	writeNetworks(&b, p.Networks, true, st)
	if len(p.Clusters) > 0 {
		b.WriteString("\nclusters\n")
		for _, a := range p.Clusters {
			writeAction(&b, a, st)
		}
	}
	writeWarnings(&b, p.Warnings, st)
	b.WriteString("\n" + summaryLine(p) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeAction(b *strings.Builder, a plan.Action, st Style) {
	mark := fmt.Sprintf("%3s", a.Kind.Symbol())
	fmt.Fprintf(b, "  %s %s", paintKind(st, a.Kind, mark), label(a.Object, a.Name, a.Kind))
	var notes []string
	if a.Cost != "" {
		notes = append(notes, string(a.Cost))
	}
	if a.Reason != "" {
		notes = append(notes, a.Reason)
	}
	if !a.Change {
		notes = append(notes, "not counted as a change")
	}
	if len(notes) > 0 {
		b.WriteString(st.Dim(" (" + strings.Join(notes, "; ") + ")"))
	}
	b.WriteString("\n")
	width := 0
	for _, c := range a.Changes {
		width = max(width, len(c.Field))
	}
	for _, c := range a.Changes {
		fmt.Fprintf(b, "        %-*s  %s\n", width, c.Field, changeText(c, st))
	}
}

func changeText(c plan.Change, st Style) string {
	switch {
	case c.Old == "":
		return c.New
	case c.New == "":
		return st.Red(c.Old) + " -> (none)"
	}
	return c.Old + " -> " + st.Yellow(c.New)
}

func writeRoutes(b *strings.Builder, routes []plan.Route) {
	var parts []string
	for _, r := range routes {
		parts = append(parts, fmt.Sprintf("%s (nic%d, metric %d, %s)", r.NIC, r.Slot,
			r.Metric, r.Via))
	}
	fmt.Fprintf(b, "        default route order: %s\n", strings.Join(parts, ", "))
}

func writeWarnings(b *strings.Builder, warnings []string, st Style) {
	for _, w := range warnings {
		fmt.Fprintf(b, "\n%s %s\n", st.Yellow("warning:"), w)
	}
}

func paintKind(st Style, k plan.Kind, text string) string {
	switch k {
	case plan.Create:
		return st.Green(text)
	case plan.Update:
		return st.Yellow(text)
	case plan.Destroy:
		return st.Red(text)
	case plan.Replace:
		return st.Magenta(text)
	case plan.Start, plan.Stop:
		return st.Cyan(text)
	}
	return st.Blue(text)
}

// summaryLine counts what the plan does.
func summaryLine(p *plan.Plan) string {
	s := p.Summary()
	line := fmt.Sprintf("Plan: %d to create, %d to update, %d to destroy, %d to replace",
		s.Create, s.Update, s.Destroy, s.Replace)
	if s.Start+s.Stop > 0 {
		line += fmt.Sprintf("; %d to start, %d to stop", s.Start, s.Stop)
	}
	if s.Run > 0 {
		line += fmt.Sprintf("; %d to run", s.Run)
	}
	if !p.HasChanges() {
		line += " (no changes: only steps that run every time)"
	}
	return line + "."
}

// label names an action's object for people: "vm k8s-cp", "step base",
// "start k8s-cp", "guest network".
func label(object, name string, k plan.Kind) string {
	switch object {
	case plan.ObjPower:
		return string(k) + " " + name
	case plan.ObjGuestNetwork:
		return "guest network"
	case apply.ObjSSH:
		return "SSH on " + name
	}
	return object + " " + name
}

// writeNetworks writes the network actions that destroy (removed true) or
// the others, under one heading.
func writeNetworks(b *strings.Builder, as []plan.Action, removed bool, st Style) {
	head := false
	for _, a := range as {
		if (a.Kind == plan.Destroy) != removed {
			continue
		}
		if !head {
			b.WriteString("\nnetworks\n")
			head = true
		}
		writeAction(b, a, st)
	}
}
