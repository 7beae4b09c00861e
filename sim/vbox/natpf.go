package vbox

import (
	"fmt"
	"strings"

	"github.com/labtool/lab/sim/vboxstate"
)

// natpf adds or deletes ("delete <name>") a rule on one NIC's NAT engine.
// Clashes are checked against that engine only, never across NICs.
func (c *call) natpf(nic *vboxstate.NIC, o opt, file string) error {
	if name, ok := strings.CutPrefix(o.val, "delete "); ok {
		return deleteRule(nic, name, file)
	}
	r, err := parseRule(o, file)
	if err != nil {
		return err
	}
	for _, x := range nic.Forwards {
		if x.Name == r.Name {
			return ruleClash("A NAT rule of this name already exists", file)
		}
		if x.Proto == r.Proto && x.HostIP == r.HostIP && x.HostPort == r.HostPort {
			return ruleClash("A NAT rule for this host port and this host IP already exists", file)
		}
	}
	nic.Forwards = append(nic.Forwards, r)
	return nil
}

// parseRule reads name,proto,hostip,hostport,guestip,guestport.
func parseRule(o opt, file string) (vboxstate.Rule, error) {
	f := strings.Split(o.val, ",")
	if len(f) != 6 {
		if file == "VBoxManageControlVM.cpp" {
			return vboxstate.Rule{}, argf("Missing or invalid argument to '%s'", o.name)
		}
		return vboxstate.Rule{}, argf("Missing or invalid argument to '--natpf'")
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	proto := strings.ToLower(f[1])
	if proto != "tcp" && proto != "udp" {
		if file == "VBoxManageControlVM.cpp" {
			return vboxstate.Rule{}, argf(
				"Wrong rule proto '%s' specified -- only 'udp' and 'tcp' are allowed.", f[1])
		}
		return vboxstate.Rule{}, plainf("Invalid proto '%s' specfied for NIC %d", f[1], o.idx)
	}
	r := vboxstate.Rule{
		Name: f[0], Proto: proto, HostIP: f[2], HostPort: port(f[3]),
		GuestIP: f[4], GuestPort: port(f[5]),
	}
	if r.Name == "" {
		r.Name = fmt.Sprintf("%s_%d_%d", proto, r.HostPort, r.GuestPort)
	}
	return r, nil
}

// port converts like RTStrToUInt16: leading digits, junk gives 0.
func port(s string) int {
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0
		}
		n = n*10 + int(ch-'0')
		if n > 65535 {
			return 0
		}
	}
	return n
}

func ruleClash(msg, file string) error {
	return &comError{
		Msg: msg, Code: codeInvalidArg, Component: "NATEngineWrap", Interface: "INATEngine",
		Context: "AddRedirect(Bstr(strName).raw(), proto, Bstr(strHostIp).raw(), " +
			"RTStrToUInt16(strHostPort), Bstr(strGuestIp).raw(), RTStrToUInt16(strGuestPort))",
		File: file, Line: natpfLine(file),
	}
}

func deleteRule(nic *vboxstate.NIC, name, file string) error {
	for i, x := range nic.Forwards {
		if x.Name == name {
			nic.Forwards = append(nic.Forwards[:i], nic.Forwards[i+1:]...)
			return nil
		}
	}
	// The engine fails without error info: the "extended info" form.
	return &comError{
		Code: codeInvalidArg, Context: "RemoveRedirect(Bstr(ValueUnion.psz).raw())",
		File: file, Line: natpfLine(file) + 16,
	}
}

func natpfLine(file string) int {
	if file == "VBoxManageControlVM.cpp" {
		return 1011
	}
	return 1972
}
