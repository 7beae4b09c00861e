package netplan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// stateFile remembers the devices the last apply configured, so a device
// dropped from the YAML is flushed by the next apply.
const stateFile = "/run/labsim/netplan-state.json"

type applyState struct {
	Devices []string `json:"devices"`
}

// Apply brings the live interfaces to the plan with the real ip binary. A
// second run with the same plan changes nothing.
func Apply(env *sys.Env, plans []DevPlan) error {
	managed := map[string]bool{}
	for _, p := range plans {
		if err := applyDevice(env, p); err != nil {
			return err
		}
		managed[p.Dev] = true
	}
	if err := flushDropped(env, managed); err != nil {
		return err
	}
	st := applyState{Devices: sys.SortedKeys(managed)}
	data, _ := json.Marshal(st)
	return env.WriteFile(stateFile, data, 0o644)
}

func applyDevice(env *sys.Env, p DevPlan) error {
	if p.From != "" {
		if _, err := env.IP("link", "set", "dev", p.From, "down"); err != nil {
			return err
		}
		if _, err := env.IP("link", "set", "dev", p.From, "name", p.Dev); err != nil {
			return err
		}
	}
	if p.MTU != 0 {
		if _, err := env.IP("link", "set", "dev", p.Dev, "mtu", strconv.Itoa(p.MTU)); err != nil {
			return err
		}
	}
	if _, err := env.IP("link", "set", "dev", p.Dev, "up"); err != nil {
		return err
	}
	if err := syncAddrs(env, p); err != nil {
		return err
	}
	return syncRoutes(env, p)
}

func syncAddrs(env *sys.Env, p DevPlan) error {
	links, err := env.Links()
	if err != nil {
		return err
	}
	stale := staleMetrics(env, p)
	have := map[string]bool{}
	for _, l := range links {
		if l.Name != p.Dev {
			continue
		}
		for _, a := range l.AddrInfo {
			if a.Family == "inet" && a.Scope == "global" {
				have[fmt.Sprintf("%s/%d", a.Local, a.PrefixLen)] = true
			}
		}
	}
	want := map[string]bool{}
	for _, a := range p.Addrs {
		want[a.CIDR] = !stale[a.CIDR]
	}
	for _, cidr := range sys.SortedKeys(have) {
		if !want[cidr] {
			if _, err := env.IP("addr", "del", cidr, "dev", p.Dev); err != nil {
				return err
			}
			have[cidr] = false
		}
	}
	for _, a := range p.Addrs {
		if have[a.CIDR] {
			continue
		}
		args := []string{"addr", "add", a.CIDR, "dev", p.Dev}
		if a.Dynamic {
			args = append(args, "valid_lft", "86400", "preferred_lft", "86400",
				"metric", strconv.Itoa(a.Metric))
		}
		if _, err := env.IP(args...); err != nil {
			return err
		}
	}
	return nil
}

// staleMetrics finds DHCP addresses whose prefix route has another metric
// than wanted: those are re-added, since the kernel route keeps its metric.
func staleMetrics(env *sys.Env, p DevPlan) map[string]bool {
	out := map[string]bool{}
	routes, err := env.Routes()
	if err != nil {
		return out
	}
	for _, a := range p.Addrs {
		ip, _, _ := strings.Cut(a.CIDR, "/")
		for _, r := range routes {
			if r.Dev == p.Dev && r.Protocol == "kernel" && r.PrefSrc == ip &&
				r.Metric != a.Metric {
				out[a.CIDR] = true
			}
		}
	}
	return out
}

func syncRoutes(env *sys.Env, p DevPlan) error {
	routes, err := env.Routes()
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, r := range routes {
		if r.Dev != p.Dev || r.Protocol == "kernel" {
			continue
		}
		rs := RouteSpec{Dst: r.Dst, Gateway: r.Gateway, Proto: r.Protocol, Metric: r.Metric}
		have[rs.Key()] = true
		if !wanted(p.Routes, rs.Key()) {
			if _, err := env.IP(delArgs(r)...); err != nil {
				return err
			}
		}
	}
	// Host routes first: a gateway must be reachable before a route uses it.
	ordered := append([]RouteSpec(nil), p.Routes...)
	sort.SliceStable(ordered, func(i, j int) bool {
		return ordered[i].Gateway == "" && ordered[j].Gateway != ""
	})
	for _, r := range ordered {
		if have[r.Key()] {
			continue
		}
		if _, err := env.IP(addArgs(p.Dev, r)...); err != nil {
			return err
		}
		have[r.Key()] = true
	}
	return nil
}

func wanted(rs []RouteSpec, key string) bool {
	for _, r := range rs {
		if r.Key() == key {
			return true
		}
	}
	return false
}

func addArgs(dev string, r RouteSpec) []string {
	args := []string{"route", "add", r.Dst}
	if r.Gateway != "" {
		args = append(args, "via", r.Gateway)
	}
	args = append(args, "dev", dev, "proto", r.Proto)
	if r.Scope != "" {
		args = append(args, "scope", r.Scope)
	}
	if r.Src != "" {
		args = append(args, "src", r.Src)
	}
	if r.Metric != 0 {
		args = append(args, "metric", strconv.Itoa(r.Metric))
	}
	if r.OnLink {
		args = append(args, "onlink")
	}
	return args
}

func delArgs(r sys.Route) []string {
	args := []string{"route", "del", r.Dst}
	if r.Gateway != "" {
		args = append(args, "via", r.Gateway)
	}
	args = append(args, "dev", r.Dev, "proto", r.Protocol)
	if r.Metric != 0 {
		args = append(args, "metric", strconv.Itoa(r.Metric))
	}
	return args
}

// flushDropped clears devices an earlier apply configured and this one did not.
func flushDropped(env *sys.Env, managed map[string]bool) error {
	var prev applyState
	if data, err := env.ReadFile(stateFile); err == nil {
		_ = json.Unmarshal(data, &prev)
	}
	links, err := env.Links()
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, l := range links {
		exists[l.Name] = true
	}
	for _, dev := range prev.Devices {
		if managed[dev] || !exists[dev] {
			continue
		}
		if _, err := env.IP("-4", "route", "flush", "dev", dev); err != nil &&
			!strings.Contains(err.Error(), "Nothing to flush") {
			return err
		}
		if _, err := env.IP("-4", "addr", "flush", "dev", dev, "scope", "global"); err != nil {
			return err
		}
	}
	return nil
}
