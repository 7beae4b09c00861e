package vbox

import (
	"fmt"
	"sort"

	"github.com/labtool/lab/sim/vboxstate"
)

// extradataOf returns the map for "global" or a machine.
func extradataOf(w *vboxstate.World, target string, create bool) (map[string]string, error) {
	if target == "global" {
		if w.Extradata == nil && create {
			w.Extradata = map[string]string{}
		}
		return w.Extradata, nil
	}
	m, err := findMachine(w, target)
	if err != nil {
		return nil, err
	}
	if m.Extradata == nil && create {
		m.Extradata = map[string]string{}
	}
	return m.Extradata, nil
}

func cmdSetExtradata(c *call, args []string) error {
	if len(args) < 2 || len(args) > 3 {
		return syntaxf("Incorrect number of parameters")
	}
	return c.store.Update(func(w *vboxstate.World) error {
		ed, err := extradataOf(w, args[0], true)
		if err != nil {
			return err
		}
		if len(args) == 2 || args[2] == "" {
			delete(ed, args[1])
			return nil
		}
		ed[args[1]] = args[2]
		return nil
	})
}

func cmdGetExtradata(c *call, args []string) error {
	if len(args) != 2 {
		return syntaxf("Incorrect number of parameters")
	}
	return c.store.View(func(w *vboxstate.World) error {
		ed, err := extradataOf(w, args[0], false)
		if err != nil {
			return err
		}
		if args[1] == "enumerate" {
			keys := make([]string, 0, len(ed))
			for k := range ed {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(c.out, "Key: %s, Value: %s\n", k, ed[k])
			}
			return nil
		}
		if v, ok := ed[args[1]]; ok {
			fmt.Fprintf(c.out, "Value: %s\n", v)
		} else {
			fmt.Fprintln(c.out, "No value set!")
		}
		return nil
	})
}
