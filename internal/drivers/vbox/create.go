package vbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// Create imports the node's appliance as a stopped VM in group /lab/<lab>,
// then sets its NICs and forwards (one modifyvm), its lab extradata, and
// attaches the seed ISO. A VM that fails after the import is deleted, so
// nothing is left half-made.
func (d *Driver) Create(ctx context.Context, req drivers.CreateRequest) error {
	d.setLab(req.Lab.Name)
	src, err := d.imageSource(req.Node.Image)
	if err != nil {
		return fmt.Errorf("creating %s: %w", req.VMName, err)
	}
	out, err := d.call(ctx, "import", src, "--vsys", "0", "--vmname", req.VMName,
		"--cpus", strconv.Itoa(req.Node.CPUs), "--memory", strconv.FormatInt(req.Node.MemoryMiB, 10),
		"--group", "/lab/"+req.Lab.Name)
	if err != nil {
		return fmt.Errorf("creating %s: importing %s: %w", req.VMName, src, err)
	}
	step := "importing " + src
	if !parseImport(out).Done {
		err = errors.New("the import did not report success")
	} else {
		step, err = d.configureNew(ctx, req)
	}
	if err == nil {
		return nil
	}
	return d.rollback(ctx, req.VMName, fmt.Errorf("creating %s: %s: %w", req.VMName, step, err))
}

// rollback deletes a half-made VM and returns err, joined with any failure
// to delete (a VM that never appeared needs no deleting).
func (d *Driver) rollback(ctx context.Context, vm string, err error) error {
	_, delErr := d.call(ctx, "unregistervm", vm, "--delete")
	if delErr != nil && !isNotFound(delErr) {
		return errors.Join(err, fmt.Errorf("deleting the half-made %s: %w", vm, delErr))
	}
	return err
}

// imageSource is the file to import for an image.
func (d *Driver) imageSource(img *spec.Image) (string, error) {
	switch {
	case img == nil:
		return "", errors.New("node has no image")
	case img.Box != "":
		home, err := boxHome(d.host.GOOS, d.host.Getenv)
		if err != nil {
			return "", err
		}
		return findBox(home, d.host.GOOS, d.goarch, img.Box)
	case img.OVA != "":
		return img.OVA, nil
	case img.VMDK != "":
		return "", fmt.Errorf("image %q: vmdk images are not supported yet", img.Name)
	case img.Clone != "":
		return "", fmt.Errorf("image %q: clone images are not supported yet", img.Name)
	}
	return "", fmt.Errorf("image %q has no source virtualbox can use", img.Name)
}

// configureNew does the steps after import; it names the step that failed.
func (d *Driver) configureNew(ctx context.Context, req drivers.CreateRequest) (string, error) {
	info, err := d.showVMInfo(ctx, req.VMName)
	if err != nil {
		return "reading the imported VM", err
	}
	args, err := d.nicArgs(ctx, req.NICs, info.NICs)
	if err != nil {
		return "resolving networks", err
	}
	args = append(args, d.forwardArgs(req.Forwards, info.Forwards[1])...)
	if _, err := d.call(ctx, append([]string{"modifyvm", req.VMName}, args...)...); err != nil {
		return "setting NICs and forwards", err
	}
	if err := d.SetMeta(ctx, req.VMName, req.Meta); err != nil {
		return "storing lab metadata", err
	}
	if req.SeedISO == "" {
		return "", nil
	}
	ctl, port, dev, err := seedSlot(info)
	if err != nil {
		return "attaching the seed ISO", err
	}
	_, err = d.call(ctx, "storageattach", req.VMName, "--storagectl", ctl, "--port",
		strconv.Itoa(port), "--device", strconv.Itoa(dev), "--type", "dvddrive", "--medium", req.SeedISO)
	return "attaching the seed ISO", err
}

// forwardArgs replaces the NIC1 forwards have with want.
func (d *Driver) forwardArgs(want []drivers.Forward, have []drivers.Forward) []string {
	var args []string
	for _, f := range have {
		args = append(args, opt(d.spell.natpf, 1), "delete", f.Name)
	}
	for _, f := range want {
		args = append(args, opt(d.spell.natpf, 1), forwardRule(f))
	}
	return args
}

// forwardRule renders "name,proto,hostip,hostport,guestip,guestport".
func forwardRule(f drivers.Forward) string {
	return fmt.Sprintf("%s,%s,%s,%d,,%d", f.Name, f.Protocol, f.HostIP, f.HostPort, f.GuestPort)
}

// nicArgs sets every wanted NIC (kind, attachment, MAC, cable on) and
// disables NICs that are on now but not wanted.
func (d *Driver) nicArgs(ctx context.Context, want []drivers.NICRequest,
	have []drivers.NIC) ([]string, error) {
	atts, err := d.attachments(ctx, want)
	if err != nil {
		return nil, err
	}
	wanted := map[int]bool{}
	var args []string
	for i, n := range want {
		wanted[n.Slot] = true
		kind := "nat"
		if n.Network != nil {
			kind = n.Network.Type
		}
		args = append(args, opt("--nic", n.Slot), kind)
		if o := d.attachOption(kind); o != "" {
			args = append(args, opt(o, n.Slot), atts[i])
		}
		if n.MAC != "" {
			args = append(args, opt(d.spell.mac, n.Slot), n.MAC)
		}
		args = append(args, opt(d.spell.cable, n.Slot), "on")
	}
	for _, n := range have {
		if !wanted[n.Slot] {
			args = append(args, opt("--nic", n.Slot), "none")
		}
	}
	return args, nil
}

// attachOption is the modifyvm option naming what a NIC kind attaches to.
func (d *Driver) attachOption(kind string) string {
	switch kind {
	case spec.NetHostOnly:
		return d.spell.hostOnly
	case spec.NetBridged:
		return d.spell.bridge
	case spec.NetIntnet:
		return "--intnet"
	case spec.NetNATNetwork:
		return d.spell.natNetwork
	}
	return ""
}

// attachments resolves each wanted NIC's host attachment ("" for NAT),
// listing host-only and bridged interfaces once each when needed.
func (d *Driver) attachments(ctx context.Context, want []drivers.NICRequest) ([]string, error) {
	lab := &spec.Lab{}
	seen := map[string]bool{}
	for _, n := range want {
		if n.Network != nil && !seen[n.Network.Name] {
			seen[n.Network.Name] = true
			lab.Networks = append(lab.Networks, n.Network)
		}
	}
	if len(lab.Networks) == 0 {
		return make([]string, len(want)), nil
	}
	name, err := d.labName()
	if err != nil {
		return nil, err
	}
	lab.Name = name
	live, err := d.resolveNetworks(ctx, lab)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(want))
	for i, n := range want {
		if n.Network == nil {
			continue
		}
		ln := live[n.Network.Name]
		if ln == nil {
			return nil, fmt.Errorf("network %q does not exist on the host", n.Network.Name)
		}
		out[i] = ln.Attachment
	}
	return out, nil
}

// seedSlot picks where the seed ISO goes: SATA port 1 when free, else the
// first free SATA port; on IDE-only VMs the first free IDE place.
func seedSlot(info *vmInfo) (string, int, int, error) {
	free := func(c controller, port, dev int) bool {
		v, ok := info.Media[fmt.Sprintf("%s-%d-%d", c.Name, port, dev)]
		return v == "none" || !ok && port < c.MaxPorts
	}
	for _, c := range info.Controllers {
		if c.Type != "IntelAhci" {
			continue
		}
		ports := []int{1}
		for p := 0; p < c.MaxPorts; p++ {
			ports = append(ports, p)
		}
		for _, p := range ports {
			if free(c, p, 0) {
				return c.Name, p, 0, nil
			}
		}
	}
	for _, c := range info.Controllers {
		if c.Type != "PIIX3" && c.Type != "PIIX4" && c.Type != "ICH6" {
			continue
		}
		for _, pd := range [][2]int{{1, 0}, {1, 1}, {0, 1}} {
			if free(c, pd[0], pd[1]) {
				return c.Name, pd[0], pd[1], nil
			}
		}
	}
	return "", 0, 0, errors.New("no free SATA or IDE port for the seed ISO")
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
