package spec

import (
	"crypto/sha256"
	"fmt"
)

// DeriveMAC returns the MAC address of a node's NIC slot (1..8): the
// VirtualBox OUI 08:00:27 followed by three bytes of a hash of the lab id,
// node name and slot, as 12 upper-case hex digits. The lab id is random per
// lab, so two people bridging the same Labfile onto one LAN differ.
func DeriveMAC(labID, node string, slot int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%s/%d", labID, node, slot)))
	return fmt.Sprintf("080027%02X%02X%02X", sum[0], sum[1], sum[2])
}

// ColonMAC formats a 12-digit MAC as lower-case xx:xx:xx:xx:xx:xx, the form
// netplan and ip use.
func ColonMAC(mac string) string {
	if len(mac) != 12 {
		return mac
	}
	out := make([]byte, 0, 17)
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			out = append(out, ':')
		}
		for _, c := range []byte(mac[i : i+2]) {
			if c >= 'A' && c <= 'F' {
				c += 'a' - 'A'
			}
			out = append(out, c)
		}
	}
	return string(out)
}
