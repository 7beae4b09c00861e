package vbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// metaPrefix is the extradata prefix of lab's keys.
const metaPrefix = "lab/"

// Inspect lists the VMs, reads the lab's VMs (its VM names, and any VM
// whose name starts with "<lab>-" that sits in group /lab/<lab> or carries
// the lab's mark) concurrently, and resolves the lab's networks.
func (d *Driver) Inspect(ctx context.Context, lab *spec.Lab) (*drivers.Live, error) {
	d.setLab(lab.Name)
	// The networks are resolved while the VMs are read: each VBoxManage
	// call is a round trip, and none of these depends on another.
	var (
		nets    map[string]*drivers.Network
		netsErr error
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		nets, netsErr = d.resolveNetworks(ctx, lab)
	}()
	vms, err := d.readLabVMs(ctx, lab)
	<-done
	if err != nil {
		return nil, err
	}
	if netsErr != nil {
		return nil, netsErr
	}
	wanted := map[string]bool{}
	for _, n := range lab.Nodes {
		wanted[lab.VMName(n)] = true
	}
	live := &drivers.Live{VMs: map[string]*drivers.VM{}, Networks: nets}
	for _, r := range vms {
		if wanted[r.vm.Name] || slices.Contains(r.groups, "/lab/"+lab.Name) || r.vm.Ours(lab.Name) {
			annotateNICs(r.vm, lab, nets)
			live.VMs[r.vm.Name] = r.vm
		}
	}
	return live, nil
}

// readLabVMs lists the VMs and reads those that may be the lab's: its VM
// names and any name starting with "<lab>-".
func (d *Driver) readLabVMs(ctx context.Context, lab *spec.Lab) ([]readResult, error) {
	listed, err := d.listVMs(ctx)
	if err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for _, n := range lab.Nodes {
		wanted[lab.VMName(n)] = true
	}
	var names []string
	for _, v := range listed {
		if wanted[v.Name] || strings.HasPrefix(v.Name, lab.Name+"-") {
			names = append(names, v.Name)
		}
	}
	return d.readVMs(ctx, names)
}

// listVMs reads `list vms`.
func (d *Driver) listVMs(ctx context.Context) ([]listedVM, error) {
	out, err := d.call(ctx, "list", "vms")
	if err != nil {
		return nil, fmt.Errorf("listing VMs: %w", err)
	}
	return parseListVMs(out)
}

// VMUUID reads one VM's UUID with a single showvminfo.
func (d *Driver) VMUUID(ctx context.Context, vm string) (string, error) {
	info, err := d.showVMInfo(ctx, vm)
	if isNotFound(err) {
		return "", fmt.Errorf("VM %s is gone", vm)
	}
	if err != nil {
		return "", err
	}
	return info.UUID, nil
}

// readResult is one VM read by Inspect.
type readResult struct {
	vm     *drivers.VM
	groups []string
}

// readVMs reads the named VMs concurrently; a VM deleted meanwhile is
// left out.
func (d *Driver) readVMs(ctx context.Context, names []string) ([]readResult, error) {
	results := make([]*readResult, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, d.parallel)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = d.readVM(ctx, name)
		}()
	}
	wg.Wait()
	var out []readResult
	for i := range names {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if results[i] != nil {
			out = append(out, *results[i])
		}
	}
	return out, nil
}

// readVM reads one VM's settings and lab extradata, the two calls side by
// side (each costs a VBoxManage round trip); nil when the VM is gone.
func (d *Driver) readVM(ctx context.Context, name string) (*readResult, error) {
	var (
		kvOut string
		kvErr error
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		kvOut, kvErr = d.call(ctx, "getextradata", name, "enumerate")
	}()
	info, err := d.showVMInfo(ctx, name)
	<-done
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if info.Inaccessible || isNotFound(kvErr) {
		return nil, nil
	}
	if kvErr != nil {
		return nil, fmt.Errorf("reading extradata of %s: %w", name, kvErr)
	}
	kv, err := parseExtradata(kvOut)
	if err != nil {
		return nil, fmt.Errorf("reading extradata of %s: %w", name, err)
	}
	vm := &drivers.VM{Name: info.Name, UUID: info.UUID, State: vmState(info.State),
		CPUs: info.CPUs, MemoryMiB: info.MemoryMiB, NICs: info.NICs,
		Forwards: info.Forwards[1], Meta: map[string]string{}}
	for k, v := range kv {
		if key, ok := strings.CutPrefix(k, metaPrefix); ok {
			vm.Meta[key] = v
		}
	}
	return &readResult{vm: vm, groups: info.Groups}, nil
}

// showVMInfo runs and parses `showvminfo --machinereadable`.
func (d *Driver) showVMInfo(ctx context.Context, name string) (*vmInfo, error) {
	out, err := d.call(ctx, "showvminfo", name, "--machinereadable")
	if err != nil {
		return nil, fmt.Errorf("reading VM %s: %w", name, err)
	}
	info, err := parseVMInfo(out)
	if err != nil {
		return nil, fmt.Errorf("reading VM %s: %w", name, err)
	}
	d.fixForwards700(info)
	return info, nil
}

// annotateNICs sets each NIC's lab network name from its attachment.
func annotateNICs(vm *drivers.VM, lab *spec.Lab, nets map[string]*drivers.Network) {
	for i := range vm.NICs {
		nic := &vm.NICs[i]
		for _, n := range lab.Networks {
			ln := nets[n.Name]
			if ln != nil && n.Type == nic.Kind && ln.Attachment == nic.Attachment {
				nic.Network = n.Name
			}
		}
	}
}
