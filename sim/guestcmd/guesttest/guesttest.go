// Package guesttest builds guest environments for tests: a temporary root,
// captured streams and a fake `ip` that keeps link, address and route state
// and prints `ip -j` JSON.
package guesttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Guest is a test guest: its Env, streams and fake network.
type Guest struct {
	Env    *sys.Env
	Out    *bytes.Buffer
	Err    *bytes.Buffer
	Net    *FakeIP
	Calls  [][]string
	Shells []string
	Vars   map[string]string
}

// New makes a guest rooted in a temporary folder with a minimal /etc.
func New(t *testing.T) *Guest {
	t.Helper()
	root := t.TempDir()
	g := &Guest{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Net: &FakeIP{},
		Vars: map[string]string{"LAB_SIM_TIME_SCALE": "0"}}
	g.Env = &sys.Env{Root: root, Stdin: strings.NewReader(""), Stdout: g.Out, Stderr: g.Err,
		Getenv: func(k string) string { return g.Vars[k] }, Run: g.run,
		Now: func() time.Time { return time.Date(2026, 12, 4, 13, 0, 0, 0, time.UTC) }}
	g.Write(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0o644)
	g.Write(t, "/etc/group", "root:x:0:\nadm:x:4:\nsudo:x:27:\n", 0o644)
	g.Write(t, "/etc/hostname", "ubuntu\n", 0o644)
	g.Write(t, "/etc/hosts", "127.0.0.1 localhost\n", 0o644)
	return g
}

// Write creates a file in the guest.
func (g *Guest) Write(t *testing.T, p, body string, mode os.FileMode) {
	t.Helper()
	if err := g.Env.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

// Read returns a guest file's content.
func (g *Guest) Read(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(g.Env.Root, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func (g *Guest) run(argv ...string) (string, error) {
	g.Calls = append(g.Calls, argv)
	switch argv[0] {
	case sys.IPBinary:
		return g.Net.Run(argv[1:])
	case "/bin/sh":
		g.Shells = append(g.Shells, argv[len(argv)-1])
		return "", nil
	}
	g.Shells = append(g.Shells, argv[0])
	return "", nil
}

// IPCalls lists the changing ip commands run, joined by spaces.
func (g *Guest) IPCalls() []string {
	var out []string
	for _, c := range g.Calls {
		if c[0] == sys.IPBinary && c[1] != "-j" {
			out = append(out, strings.Join(c[1:], " "))
		}
	}
	return out
}

// FakeIP is a small model of the kernel's links, addresses and routes.
type FakeIP struct {
	Links  []sys.Link
	Routes []sys.Route
}

// AddLink adds a down, unaddressed ethernet link.
func (f *FakeIP) AddLink(name, mac string) {
	f.Links = append(f.Links, sys.Link{Index: len(f.Links) + 2, Name: name,
		Flags: []string{"BROADCAST", "MULTICAST"}, OperState: "DOWN", LinkType: "ether",
		Address: mac})
}

func (f *FakeIP) link(name string) *sys.Link {
	for i := range f.Links {
		if f.Links[i].Name == name {
			return &f.Links[i]
		}
	}
	return nil
}

// Run executes one ip command line.
func (f *FakeIP) Run(args []string) (string, error) {
	if len(args) > 0 && args[0] == "-j" {
		return f.show(args[1:])
	}
	if len(args) > 0 && args[0] == "-4" {
		args = args[1:]
	}
	opt := map[string]string{}
	for i := 2; i+1 < len(args); i++ {
		opt[args[i]] = args[i+1]
	}
	switch args[0] + " " + args[1] {
	case "link set":
		return "", f.linkSet(args[3], args[4:])
	case "addr add":
		return "", f.addrAdd(args[2], opt)
	case "addr del":
		return "", f.addrDel(args[2], opt["dev"])
	case "addr flush":
		if l := f.link(args[3]); l != nil {
			l.AddrInfo = nil
		}
		f.dropRoutes(func(r sys.Route) bool { return r.Dev == args[3] })
		return "", nil
	case "route add":
		return "", f.routeAdd(args[2], opt)
	case "route del":
		f.dropRoutes(func(r sys.Route) bool {
			return r.Dst == args[2] && r.Dev == opt["dev"] && r.Gateway == opt["via"]
		})
		return "", nil
	case "route flush":
		f.dropRoutes(func(r sys.Route) bool { return r.Dev == args[3] && r.Protocol != "kernel" })
		return "", nil
	}
	return "", fmt.Errorf("fake ip: unsupported %v", args)
}

func (f *FakeIP) show(args []string) (string, error) {
	var v any = f.Links
	if len(args) > 1 && args[0] == "-4" && args[1] == "route" {
		routes := []sys.Route{}
		for _, r := range f.Routes {
			if len(args) < 4 || r.Dst == "default" {
				routes = append(routes, r)
			}
		}
		v = routes
	}
	data, err := json.Marshal(v)
	return string(data) + "\n", err
}

func (f *FakeIP) linkSet(dev string, rest []string) error {
	l := f.link(dev)
	if l == nil {
		return fmt.Errorf("cannot find device %q", dev)
	}
	switch rest[0] {
	case "up":
		l.Flags, l.OperState = []string{"BROADCAST", "MULTICAST", "UP", "LOWER_UP"}, "UP"
	case "down":
		l.Flags, l.OperState = []string{"BROADCAST", "MULTICAST"}, "DOWN"
	case "name":
		l.Name = rest[1]
	}
	return nil
}

func (f *FakeIP) addrAdd(cidr string, opt map[string]string) error {
	l := f.link(opt["dev"])
	if l == nil {
		return fmt.Errorf("cannot find device %q", opt["dev"])
	}
	ip, prefix, _ := strings.Cut(cidr, "/")
	var n int
	fmt.Sscan(prefix, &n)
	for _, a := range l.AddrInfo {
		if a.Local == ip {
			return fmt.Errorf("RTNETLINK answers: File exists")
		}
	}
	l.AddrInfo = append(l.AddrInfo, sys.AddrInfo{Family: "inet", Local: ip, PrefixLen: n,
		Scope: "global", Dynamic: opt["valid_lft"] != ""})
	var metric int
	fmt.Sscan(opt["metric"], &metric)
	f.Routes = append(f.Routes, sys.Route{Dst: network(ip, n), Dev: l.Name,
		Protocol: "kernel", Scope: "link", PrefSrc: ip, Metric: metric})
	return nil
}

func network(ip string, n int) string {
	var a, b, c, d int
	fmt.Sscanf(ip, "%d.%d.%d.%d", &a, &b, &c, &d)
	v := uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d)
	v &= ^uint32(0) << (32 - n)
	return fmt.Sprintf("%d.%d.%d.%d/%d", v>>24, v>>16&255, v>>8&255, v&255, n)
}

func (f *FakeIP) addrDel(cidr, dev string) error {
	l := f.link(dev)
	ip, _, _ := strings.Cut(cidr, "/")
	var kept []sys.AddrInfo
	for _, a := range l.AddrInfo {
		if a.Local != ip {
			kept = append(kept, a)
		}
	}
	l.AddrInfo = kept
	f.dropRoutes(func(r sys.Route) bool { return r.PrefSrc == ip && r.Protocol == "kernel" })
	return nil
}

func (f *FakeIP) routeAdd(dst string, opt map[string]string) error {
	var metric int
	fmt.Sscan(opt["metric"], &metric)
	r := sys.Route{Dst: dst, Gateway: opt["via"], Dev: opt["dev"], Protocol: opt["proto"],
		Scope: opt["scope"], PrefSrc: opt["src"], Metric: metric, Flags: []string{}}
	for _, have := range f.Routes {
		if have.Dst == r.Dst && have.Metric == r.Metric && have.Dev == r.Dev {
			return fmt.Errorf("RTNETLINK answers: File exists")
		}
	}
	f.Routes = append(f.Routes, r)
	return nil
}

func (f *FakeIP) dropRoutes(drop func(sys.Route) bool) {
	var kept []sys.Route
	for _, r := range f.Routes {
		if !drop(r) {
			kept = append(kept, r)
		}
	}
	f.Routes = kept
}
