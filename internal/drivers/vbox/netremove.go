package vbox

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// ownerKey is the global extradata key that records the lab that created
// host-side network att: destroying that lab removes it again, and a
// network the user made is never removed.
func ownerKey(att string) string { return metaPrefix + "network/" + att }

// markOwned records that the lab created network att.
func (d *Driver) markOwned(ctx context.Context, att string) error {
	lab, err := d.labName()
	if err != nil {
		return err
	}
	if _, err := d.call(ctx, "setextradata", "global", ownerKey(att), lab); err != nil {
		return fmt.Errorf("marking %s as lab %s's: %w", att, lab, err)
	}
	return nil
}

// RemovableNetworks returns the lab's live host-only and NAT networks that
// lab created for it and that no VM attaches to but those named in
// leaving.
func (d *Driver) RemovableNetworks(ctx context.Context, lab *spec.Lab, live *drivers.Live,
	leaving []string) ([]*drivers.Network, error) {
	d.setLab(lab.Name)
	out, err := d.call(ctx, "getextradata", "global", "enumerate")
	if err != nil {
		return nil, fmt.Errorf("reading global extradata: %w", err)
	}
	owners, err := parseExtradata(out)
	if err != nil {
		return nil, fmt.Errorf("reading global extradata: %w", err)
	}
	var owned []*drivers.Network
	kinds := map[string]string{}
	for _, n := range lab.Networks {
		ln := live.Networks[n.Name]
		if ln != nil && owners[ownerKey(ln.Attachment)] == lab.Name &&
			(n.Type == spec.NetHostOnly || n.Type == spec.NetNATNetwork) {
			owned = append(owned, ln)
			kinds[ln.Name] = n.Type
		}
	}
	if len(owned) == 0 {
		return nil, nil
	}
	used, err := d.attachmentsInUse(ctx, leaving)
	if err != nil {
		return nil, err
	}
	var out2 []*drivers.Network
	for _, ln := range owned {
		if !used[kinds[ln.Name]+"/"+ln.Attachment] {
			out2 = append(out2, ln)
		}
	}
	return out2, nil
}

// attachmentsInUse reads every VM but those named in leaving and returns
// the "<kind>/<attachment>" of each enabled NIC.
func (d *Driver) attachmentsInUse(ctx context.Context, leaving []string) (map[string]bool,
	error) {
	listed, err := d.listVMs(ctx)
	if err != nil {
		return nil, err
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		used = map[string]bool{}
		errs []error
		sem  = make(chan struct{}, d.parallel)
	)
	for _, v := range listed {
		if slices.Contains(leaving, v.Name) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			// By UUID: an inaccessible VM's name is not its own.
			info, err := d.showVMInfo(ctx, v.UUID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case isNotFound(err):
			case err != nil:
				errs = append(errs, err)
			default:
				for _, nic := range info.NICs {
					used[nic.Kind+"/"+nic.Attachment] = true
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return used, nil
}

// RemoveNetwork removes a host-only interface (with its DHCP server) or
// NAT network that lab created, and lab's record of it.
func (d *Driver) RemoveNetwork(ctx context.Context, n *spec.Network, att string) error {
	var err error
	switch n.Type {
	case spec.NetHostOnly:
		err = d.removeHostOnly(ctx, att)
	case spec.NetNATNetwork:
		_, err = d.call(ctx, "natnetwork", "remove", "--netname", att)
	default:
		return fmt.Errorf("network %q: lab removes only host-only and NAT networks", n.Name)
	}
	if err == nil {
		_, err = d.call(ctx, "setextradata", "global", ownerKey(att))
	}
	if err != nil {
		return fmt.Errorf("removing network %q (%s): %w", n.Name, att, err)
	}
	return nil
}

func (d *Driver) removeHostOnly(ctx context.Context, ifname string) error {
	out, err := d.call(ctx, "list", "dhcpservers")
	if err != nil {
		return err
	}
	if hasDHCPServer(out, ifname) {
		if _, err := d.call(ctx, "dhcpserver", "remove", "--ifname", ifname); err != nil {
			return err
		}
	}
	_, err = d.call(ctx, "hostonlyif", "remove", ifname)
	return err
}

// hasDHCPServer reports whether `list dhcpservers` output lists the server
// of host-only interface ifname.
func hasDHCPServer(out, ifname string) bool {
	net := "HostInterfaceNetworking-" + ifname
	for _, b := range blocks(out) {
		for _, kv := range b {
			if kv[0] == "NetworkName" && kv[1] == net {
				return true
			}
		}
	}
	return false
}
