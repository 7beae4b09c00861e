package guest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
)

// Lease is what the guest's DHCP client gets for one NIC, written to the
// guest's /run/labsim/dhcp.json keyed by the colon MAC (08:00:27:aa:bb:cc).
type Lease struct {
	Address string   `json:"address"` // CIDR, 10.0.2.15/24
	Gateway string   `json:"gateway,omitempty"`
	DNS     []string `json:"dns,omitempty"`
}

// leaseBook keeps stable addresses per network and MAC across boots and
// VMs, in <home>/vm/leases.json. Callers hold the net lock.
type leaseBook struct {
	path string
	nets map[string]map[string]string // network key -> MAC -> address
}

func (n Names) openLeases() (*leaseBook, error) {
	b := &leaseBook{path: filepath.Join(n.Home, "vm", "leases.json"),
		nets: map[string]map[string]string{}}
	data, err := os.ReadFile(b.path)
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading DHCP leases: %w", err)
	}
	if err := json.Unmarshal(data, &b.nets); err != nil {
		return nil, fmt.Errorf("decoding DHCP leases: %w", err)
	}
	return b, nil
}

// lease returns mac's address in network key nw, handing out the first
// free one from offset first when it has none yet.
func (b *leaseBook) lease(key string, nw *net.IPNet, first uint32, mac string) (string, error) {
	return b.leaseRange(key, nw, first, size(nw)-2, mac)
}

// leaseRange is lease with the offsets first..last (inclusive) to hand out.
func (b *leaseBook) leaseRange(key string, nw *net.IPNet, first, last uint32,
	mac string) (string, error) {
	m := b.nets[key]
	if m == nil {
		m = map[string]string{}
		b.nets[key] = m
	}
	inRange := func(a string) bool {
		off, ok := offsetIn(nw, a)
		return ok && first <= off && off <= last
	}
	if a, ok := m[mac]; ok && inRange(a) {
		return a, nil
	}
	// Leases the server's present range no longer covers (the network was
	// readdressed, the range changed) have lapsed.
	for k, a := range m {
		if !inRange(a) {
			delete(m, k)
		}
	}
	used := map[string]bool{}
	for _, a := range m {
		used[a] = true
	}
	for off := first; off <= last && off < size(nw)-1; off++ {
		a := hostAt(nw, off).String()
		if !used[a] {
			m[mac] = a
			return a, nil
		}
	}
	return "", fmt.Errorf("no free DHCP address left in %s", nw)
}

func (b *leaseBook) save() error {
	data, err := json.MarshalIndent(b.nets, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding DHCP leases: %w", err)
	}
	if err := os.WriteFile(b.path, data, 0o644); err != nil {
		return fmt.Errorf("writing DHCP leases: %w", err)
	}
	return nil
}
