// Package netplan plays Ubuntu's netplan 0.106 (jammy): it reads the YAML
// under /lib, /etc and /run/netplan with netplan's shadowing and merge rules,
// validates it with netplan's messages, and applies it with the real `ip`.
package netplan

import "fmt"

// Config is the merged network definition of every file.
type Config struct {
	Renderer  string
	Ethernets []*Ethernet
}

// Ethernet is one `ethernets:` entry. Pointers mark values left unset so a
// later file only overrides what it names.
type Ethernet struct {
	ID          string
	File        string
	Match       *Match
	SetName     string
	DHCP4       *bool
	DHCP6       *bool
	UseRoutes   *bool
	RouteMetric *int
	Addresses   []string
	Gateway4    string
	Gateway6    string
	Nameservers []string
	Search      []string
	Routes      []Route
	Optional    *bool
	Critical    *bool
	MTU         int
	Renderer    string
}

// Match is a `match:` block.
type Match struct {
	MAC    string
	Name   string
	Driver string
}

// Route is one `routes:` entry.
type Route struct {
	To     string
	Via    string
	Metric *int
	OnLink bool
	Table  int
	Scope  string
	Type   string
	From   string
}

// Error is a netplan diagnostic. With a line it prints netplan's
// file:line:col form with the source line and a caret.
type Error struct {
	File   string
	Line   int
	Col    int
	Kind   string
	Msg    string
	Source string
}

// Error kinds as netplan prints them.
const (
	KindDefinition = "Error in network definition"
	KindYAML       = "Invalid YAML"
)

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s: %s\n", e.File, e.Kind, e.Msg)
	}
	suffix := ""
	if e.Kind == KindYAML {
		suffix = ":"
	}
	caret := ""
	for i := 1; i < e.Col; i++ {
		caret += " "
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s%s\n%s\n%s^\n", e.File, e.Line, e.Col, e.Kind,
		e.Msg, suffix, e.Source, caret)
}

// merge folds b, a later definition of the same ID, into a: scalars are
// overwritten, sequences appended, mappings merged key by key.
func (a *Ethernet) merge(b *Ethernet) {
	a.File = b.File
	if b.Match != nil {
		if a.Match == nil {
			a.Match = &Match{}
		}
		a.Match.MAC = pick(a.Match.MAC, b.Match.MAC)
		a.Match.Name = pick(a.Match.Name, b.Match.Name)
		a.Match.Driver = pick(a.Match.Driver, b.Match.Driver)
	}
	a.SetName = pick(a.SetName, b.SetName)
	a.DHCP4 = pickPtr(a.DHCP4, b.DHCP4)
	a.DHCP6 = pickPtr(a.DHCP6, b.DHCP6)
	a.UseRoutes = pickPtr(a.UseRoutes, b.UseRoutes)
	a.RouteMetric = pickPtr(a.RouteMetric, b.RouteMetric)
	a.Optional = pickPtr(a.Optional, b.Optional)
	a.Critical = pickPtr(a.Critical, b.Critical)
	a.Addresses = append(a.Addresses, b.Addresses...)
	a.Gateway4 = pick(a.Gateway4, b.Gateway4)
	a.Gateway6 = pick(a.Gateway6, b.Gateway6)
	a.Nameservers = append(a.Nameservers, b.Nameservers...)
	a.Search = append(a.Search, b.Search...)
	a.Routes = append(a.Routes, b.Routes...)
	if b.MTU != 0 {
		a.MTU = b.MTU
	}
	a.Renderer = pick(a.Renderer, b.Renderer)
}

func pick(a, b string) string {
	if b != "" {
		return b
	}
	return a
}

func pickPtr[T any](a, b *T) *T {
	if b != nil {
		return b
	}
	return a
}

func isTrue(b *bool) bool { return b != nil && *b }
