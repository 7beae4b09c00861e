package apply

import (
	"context"
	"fmt"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/plan"
	"github.com/labtool/lab/internal/spec"
)

// DestroyPlan plans destroying the named nodes' VMs; with no names, every
// VM of the lab and the networks lab made for it that nothing else uses.
func DestroyPlan(ctx context.Context, d drivers.Driver, lab *spec.Lab, live *drivers.Live,
	labID string, names []string) (*plan.Plan, error) {
	var nets []*drivers.Network
	if len(names) == 0 {
		var leaving []string
		for name, vm := range live.VMs {
			if vm.Ours(lab.Name) {
				leaving = append(leaving, name)
			}
		}
		var err error
		if nets, err = d.RemovableNetworks(ctx, lab, live, leaving); err != nil {
			return nil, fmt.Errorf("finding the networks lab made: %w", err)
		}
	}
	return plan.DestroyPlan(lab, live, labID, names, nets)
}
