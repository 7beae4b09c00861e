package vbox

import (
	"fmt"
	"strconv"
	"strings"
)

// Serial ports live in Machine.Settings as uart<N> ("off" or "0x03f8,4"),
// uartmode<N> (showvminfo's value, e.g. "file,/dev/null") and uarttype<N>.

// uartPorts is the number of serial ports a machine has.
const uartPorts = 4

// uartTwoValueModes are the --uartmode values followed by a second value.
var uartTwoValueModes = map[string]bool{
	"server": true, "client": true, "tcpserver": true, "tcpclient": true, "file": true,
}

// uartTakesSecond reports whether an --uart/--uartmode option is followed
// by a second value: --uart<N> <base> <irq>, --uartmode<N> file <path>.
func uartTakesSecond(o opt) bool {
	if o.key == "uart" {
		v := strings.ToLower(o.val)
		return v != "off" && v != "disable"
	}
	return uartTwoValueModes[o.val]
}

func (ed *vmEditor) uart(o opt) error {
	if o.idx < 1 || o.idx > uartPorts {
		return getoptf("Invalid serial port number %d", o.idx)
	}
	if ed.m.Settings == nil {
		ed.m.Settings = map[string]string{}
	}
	key := fmt.Sprintf("%s%d", o.key, o.idx)
	switch o.key {
	case "uart":
		v, err := uartBase(o.val)
		if err != nil {
			return err
		}
		ed.m.Settings[key] = v
	case "uartmode":
		ed.m.Settings[key] = o.val
	case "uarttype":
		switch strings.ToUpper(o.val) {
		case "16450", "16550A", "16750":
			ed.m.Settings[key] = strings.ToUpper(o.val)
		default:
			return getoptf("Invalid argument format: %s", o.val)
		}
	}
	return nil
}

// uartBase reads "off" or "<base>,<irq>" (joined by apply) into what
// showvminfo prints.
func uartBase(v string) (string, error) {
	if l := strings.ToLower(v); l == "off" || l == "disable" {
		return "off", nil
	}
	base, irq, _ := strings.Cut(v, ",")
	b, err := strconv.ParseUint(base, 0, 32)
	if err != nil {
		return "", getoptf("Invalid argument format: %s", base)
	}
	q, err := strconv.ParseUint(irq, 0, 32)
	if err != nil {
		return "", getoptf("Invalid argument format: %s", irq)
	}
	return fmt.Sprintf("0x%04x,%d", b, q), nil
}

// writeUARTs prints uart<N>, and for an enabled port uartmode<N> and
// uarttype<N>, as showvminfo --machinereadable does.
func (c *call) writeUARTs(p mrWriter, settings map[string]string) {
	for i := 1; i <= uartPorts; i++ {
		base := settings[fmt.Sprintf("uart%d", i)]
		if base == "" || base == "off" {
			p.raw(fmt.Sprintf("uart%d", i), "off")
			continue
		}
		p.raw(fmt.Sprintf("uart%d", i), base)
		mode := settings[fmt.Sprintf("uartmode%d", i)]
		if mode == "" {
			mode = "disconnected"
		}
		p.raw(fmt.Sprintf("uartmode%d", i), mode)
		typ := settings[fmt.Sprintf("uarttype%d", i)]
		if typ == "" {
			typ = "16550A"
		}
		p.raw(fmt.Sprintf("uarttype%d", i), typ)
	}
}
