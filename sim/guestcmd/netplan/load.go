package netplan

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// configDirs are read in this order; a same-named file in a later folder
// shadows the earlier ones.
var configDirs = []string{"/lib/netplan", "/etc/netplan", "/run/netplan"}

// Files lists the effective YAML files, sorted by file name.
func Files(env *sys.Env) []string {
	byName := map[string]string{}
	for _, dir := range configDirs {
		matches, _ := filepath.Glob(filepath.Join(env.Path(dir), "*.yaml"))
		for _, m := range matches {
			byName[filepath.Base(m)] = filepath.Join(dir, filepath.Base(m))
		}
	}
	names := sys.SortedKeys(byName)
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, byName[n])
	}
	return out
}

// Result is a loaded configuration with the warnings met on the way.
type Result struct {
	Config      *Config
	Warnings    []string
	TooOpen     []string
	Unreadable  error
	Definitions error
}

// Load reads, parses, merges and validates every netplan file.
func Load(env *sys.Env) Result {
	res := Result{Config: &Config{}}
	for _, f := range Files(env) {
		if st, err := os.Stat(env.Path(f)); err == nil && st.Mode().Perm()&0o066 != 0 {
			res.TooOpen = append(res.TooOpen, f)
		}
	}
	for _, f := range Files(env) {
		data, err := env.ReadFile(f)
		if err != nil {
			res.Definitions = fmt.Errorf("reading %s: %w", f, err)
			return res
		}
		warns, err := ParseFile(f, data, res.Config)
		res.Warnings = append(res.Warnings, warns...)
		if err != nil {
			res.Definitions = err
			return res
		}
	}
	if err := validate(res.Config); err != nil {
		res.Definitions = err
		return res
	}
	res.Warnings = append(res.Warnings, defaultRouteWarnings(res.Config)...)
	return res
}

// validate applies the checks netplan makes on whole definitions.
func validate(cfg *Config) error {
	for _, e := range cfg.Ethernets {
		if e.SetName != "" && e.Match == nil {
			return &Error{File: e.File, Kind: KindDefinition,
				Msg: e.ID + ": 'set-name:' requires 'match:' properties"}
		}
	}
	return nil
}

// routeKey is what two default routes must share to conflict.
type routeKey struct {
	family string
	table  int
	metric string
}

// defaultRouteWarnings reports two default routes with the same family,
// table and metric, in netplan's words.
func defaultRouteWarnings(cfg *Config) []string {
	first := map[routeKey]string{}
	var out []string
	for _, e := range cfg.Ethernets {
		for _, d := range defaultRoutes(e) {
			prev, ok := first[d]
			if !ok {
				first[d] = e.ID
				continue
			}
			if prev == e.ID {
				continue
			}
			table := "main"
			if d.table != 0 {
				table = fmt.Sprint(d.table)
			}
			out = append(out, "Problem encountered while validating default route "+
				"consistency.Please set up multiple routing tables and use "+
				"`routing-policy` instead.\n"+fmt.Sprintf("Error: Conflicting default "+
				"route declarations for %s (table: %s, metric: %s), first declared "+
				"in %s but also in %s", d.family, table, d.metric, prev, e.ID))
		}
	}
	return out
}

func defaultRoutes(e *Ethernet) []routeKey {
	var out []routeKey
	if e.Gateway4 != "" {
		out = append(out, routeKey{"IPv4", 0, "default"})
	}
	if e.Gateway6 != "" {
		out = append(out, routeKey{"IPv6", 0, "default"})
	}
	for _, r := range e.Routes {
		fam := "IPv4"
		if strings.Contains(r.To, ":") || strings.Contains(r.Via, ":") {
			fam = "IPv6"
		}
		if r.To != "default" && r.To != "0.0.0.0/0" && r.To != "::/0" {
			continue
		}
		m := "default"
		if r.Metric != nil {
			m = fmt.Sprint(*r.Metric)
		}
		out = append(out, routeKey{fam, r.Table, m})
	}
	return out
}

// sortedEthernets returns the definitions in ID order.
func sortedEthernets(cfg *Config) []*Ethernet {
	out := append([]*Ethernet(nil), cfg.Ethernets...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
