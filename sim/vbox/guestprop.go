package vbox

import (
	"fmt"
	"sort"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

func cmdGuestProperty(c *call, args []string) error {
	if len(args) < 2 {
		return syntaxf("Incorrect parameters")
	}
	sub, vm, rest := args[0], args[1], args[2:]
	switch sub {
	case "get":
		return c.guestPropGet(vm, rest)
	case "enumerate":
		return c.guestPropEnumerate(vm, rest)
	case "set":
		return c.guestPropSet(vm, rest)
	}
	return syntaxf("Invalid parameter '%s'", sub)
}

func (c *call) guestPropGet(vm string, args []string) error {
	specs := []optSpec{{key: "verbose", names: []string{"--verbose", "-verbose"}}}
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return syntaxf("Incorrect parameters")
	}
	return c.store.View(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		p, ok := m.GuestProps[pos[0]]
		if !ok {
			fmt.Fprintln(c.out, "No value set!")
			return nil
		}
		fmt.Fprintf(c.out, "Value: %s\n", p.Value)
		if len(opts) > 0 {
			fmt.Fprintf(c.out, "Timestamp: %d\n", p.Timestamp.UnixNano())
			fmt.Fprintf(c.out, "Flags: %s\n", p.Flags)
		}
		return nil
	})
}

func (c *call) guestPropSet(vm string, args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return syntaxf("Incorrect parameters")
	}
	return c.store.Update(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		if len(args) == 1 {
			delete(m.GuestProps, args[0])
			return nil
		}
		if m.GuestProps == nil {
			m.GuestProps = map[string]vboxstate.GuestProp{}
		}
		m.GuestProps[args[0]] = vboxstate.GuestProp{Value: args[1], Timestamp: c.now()}
		return nil
	})
}

func (c *call) guestPropEnumerate(vm string, args []string) error {
	specs := []optSpec{
		{key: "patterns", names: []string{"--patterns", "-patterns"}, arg: true},
		{key: "old", names: []string{"--old-format"}},
		{key: "nots", names: []string{"--no-timestamp"}},
		{key: "noflags", names: []string{"--no-flags"}},
	}
	opts, pos, err := getopt(args, specs)
	if err != nil {
		return err
	}
	old := !c.ver.v7()
	for _, o := range opts {
		if o.key == "patterns" {
			pos = append(pos, o.val)
		}
		old = old || o.key == "old"
	}
	return c.store.View(func(w *vboxstate.World) error {
		m, err := findMachine(w, vm)
		if err != nil {
			return err
		}
		names := matchingProps(m, pos)
		if len(names) == 0 {
			fmt.Fprintln(c.out, "No properties found.")
			return nil
		}
		width := 0
		for _, n := range names {
			width = max(width, len(n))
		}
		for _, n := range names {
			p := m.GuestProps[n]
			if old {
				fmt.Fprintf(c.out, "Name: %s, value: %s, timestamp: %d, flags: %s\n",
					n, p.Value, p.Timestamp.UnixNano(), p.Flags)
				continue
			}
			line := fmt.Sprintf("%-*s = '%s' @ %s %s", width, n, p.Value,
				p.Timestamp.UTC().Format("2006-01-02T15:04:05.000000000Z"), p.Flags)
			fmt.Fprintln(c.out, strings.TrimRight(line, " "))
		}
		return nil
	})
}

// matchingProps are the sorted property names matching any pattern.
func matchingProps(m *vboxstate.Machine, patterns []string) []string {
	var out []string
	for n := range m.GuestProps {
		ok := len(patterns) == 0
		for _, p := range patterns {
			for _, alt := range strings.Split(p, "|") {
				ok = ok || simpleMatch(alt, n)
			}
		}
		if ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// simpleMatch is VirtualBox's simple pattern: '*' any run of characters
// ('/' included), '?' any one character.
func simpleMatch(pat, s string) bool {
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if simpleMatch(pat[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && simpleMatch(pat[1:], s[1:])
	}
	return s != "" && s[0] == pat[0] && simpleMatch(pat[1:], s[1:])
}
