package vbox

import (
	"encoding/xml"
	"fmt"
	"os"

	"github.com/labtool/lab/internal/drivers"
)

// settingsFile is the part of a .vbox settings file that holds NAT forwards.
type settingsFile struct {
	Adapters []struct {
		Slot     int `xml:"slot,attr"`
		Forwards []struct {
			Name      string `xml:"name,attr"`
			Proto     int    `xml:"proto,attr"`
			HostIP    string `xml:"hostip,attr"`
			HostPort  int    `xml:"hostport,attr"`
			GuestPort int    `xml:"guestport,attr"`
		} `xml:"NAT>Forwarding"`
	} `xml:"Machine>Hardware>Network>Adapter"`
}

// parseSettingsForwards reads NAT forwards from a .vbox file, by NIC slot
// (the file counts adapters from 0, VBoxManage from 1; proto 1 is TCP).
func parseSettingsForwards(data []byte) (map[int][]drivers.Forward, error) {
	var s settingsFile
	if err := xml.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("reading VM settings: %w", err)
	}
	out := map[int][]drivers.Forward{}
	for _, a := range s.Adapters {
		for _, f := range a.Forwards {
			proto := "udp"
			if f.Proto == 1 {
				proto = "tcp"
			}
			out[a.Slot+1] = append(out[a.Slot+1], drivers.Forward{Name: f.Name,
				Protocol: proto, HostIP: f.HostIP, HostPort: f.HostPort, GuestPort: f.GuestPort})
		}
	}
	return out, nil
}

// fixForwards700 works around VirtualBox 7.0.0, whose showvminfo prints no
// Forwarding lines when a NIC has more than one rule: the rules are read
// from the settings file instead, as Vagrant does.
func (d *Driver) fixForwards700(info *vmInfo) {
	if d.ver != (version{7, 0, 0}) || info.CfgFile == "" {
		return
	}
	data, err := os.ReadFile(info.CfgFile)
	if err == nil {
		var fw map[int][]drivers.Forward
		if fw, err = parseSettingsForwards(data); err == nil {
			for slot, list := range fw {
				if len(info.Forwards[slot]) == 0 {
					sortForwards(list)
					info.Forwards[slot] = list
				}
			}
			return
		}
	}
	if d.warn != nil {
		d.warn(fmt.Sprintf("VirtualBox 7.0.0 hides forwards of %s and its settings "+
			"could not be read: %v", info.Name, err))
	}
}
