package vbox

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/labtool/lab/internal/drivers"
)

// SetHardware changes a stopped VM in one modifyvm. Zero cpus or memory
// leave them as they are; nil nics leaves the NICs alone, otherwise nics
// is the whole set and any other enabled NIC is turned off.
func (d *Driver) SetHardware(ctx context.Context, vm string, cpus int, memMiB int64,
	nics []drivers.NICRequest) error {
	var args []string
	if cpus > 0 {
		args = append(args, "--cpus", strconv.Itoa(cpus))
	}
	if memMiB > 0 {
		args = append(args, "--memory", strconv.FormatInt(memMiB, 10))
	}
	if nics != nil {
		info, err := d.showVMInfo(ctx, vm)
		if err != nil {
			return err
		}
		na, err := d.nicArgs(ctx, nics, info.NICs)
		if err != nil {
			return fmt.Errorf("changing NICs of %s: %w", vm, err)
		}
		args = append(args, na...)
	}
	if len(args) == 0 {
		return nil
	}
	if _, err := d.call(ctx, append([]string{"modifyvm", vm}, args...)...); err != nil {
		return fmt.Errorf("changing hardware of %s: %w", vm, err)
	}
	return nil
}

// AddForward adds a NIC1 forward: live with controlvm on a running VM,
// with modifyvm on a stopped one.
func (d *Driver) AddForward(ctx context.Context, vm string, f drivers.Forward) error {
	if err := d.changeForward(ctx, vm, forwardRule(f)); err != nil {
		return fmt.Errorf("adding forward %q to %s: %w", f.Name, vm, err)
	}
	return nil
}

// RemoveForward deletes a NIC1 forward by name, live or not.
func (d *Driver) RemoveForward(ctx context.Context, vm string, name string) error {
	if err := d.changeForward(ctx, vm, "delete", name); err != nil {
		return fmt.Errorf("removing forward %q from %s: %w", name, vm, err)
	}
	return nil
}

func (d *Driver) changeForward(ctx context.Context, vm string, rule ...string) error {
	info, err := d.showVMInfo(ctx, vm)
	if err != nil {
		return err
	}
	var args []string
	switch st := vmState(info.State); st {
	case drivers.Running:
		args = append([]string{"controlvm", vm, "natpf1"}, rule...)
	case drivers.Stopped:
		args = append([]string{"modifyvm", vm, opt(d.spell.natpf, 1)}, rule...)
	default:
		return fmt.Errorf("the VM is %s (%s): forwards change only when running or stopped",
			st, info.State)
	}
	_, err = d.call(ctx, args...)
	return err
}

// SetMeta stores lab keys as extradata under "lab/"; an empty value
// deletes the key.
func (d *Driver) SetMeta(ctx context.Context, vm string, kv map[string]string) error {
	for _, k := range sortedKeys(kv) {
		args := []string{"setextradata", vm, metaPrefix + k}
		if kv[k] != "" {
			args = append(args, kv[k])
		}
		if _, err := d.call(ctx, args...); err != nil {
			return fmt.Errorf("storing %s on %s: %w", k, vm, err)
		}
	}
	return nil
}

// Start starts the VM headless.
func (d *Driver) Start(ctx context.Context, vm string) error {
	if _, err := d.call(ctx, "startvm", vm, "--type", "headless"); err != nil {
		return fmt.Errorf("starting %s: %w", vm, err)
	}
	return nil
}

// Stop presses the ACPI power button, waits up to timeout for the guest to
// power off, and then pulls the plug.
func (d *Driver) Stop(ctx context.Context, vm string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if _, err := d.call(ctx, "controlvm", vm, "acpipowerbutton"); err != nil {
		// Already off between plan and apply is fine.
		if d.isStopped(ctx, vm) {
			return nil
		}
		return fmt.Errorf("stopping %s: %w", vm, err)
	}
	for {
		info, err := d.showVMInfo(ctx, vm)
		if err != nil {
			return fmt.Errorf("stopping %s: %w", vm, err)
		}
		if vmState(info.State) == drivers.Stopped {
			return nil
		}
		if !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopping %s: %w", vm, ctx.Err())
		case <-time.After(min(d.poll, time.Until(deadline))):
		}
	}
	if _, err := d.call(ctx, "controlvm", vm, "poweroff"); err != nil && !d.isStopped(ctx, vm) {
		return fmt.Errorf("stopping %s: guest did not shut down within %s; powering off: %w",
			vm, timeout, err)
	}
	return nil
}

// isStopped reports whether the VM reads as stopped; it is asked only
// after a power call failed, to tell "already off" from a real failure.
func (d *Driver) isStopped(ctx context.Context, vm string) bool {
	info, err := d.showVMInfo(ctx, vm)
	return err == nil && vmState(info.State) == drivers.Stopped
}

// Delete unregisters a stopped VM and deletes its files.
func (d *Driver) Delete(ctx context.Context, vm string) error {
	if _, err := d.call(ctx, "unregistervm", vm, "--delete"); err != nil {
		return fmt.Errorf("deleting %s: %w", vm, err)
	}
	return nil
}
