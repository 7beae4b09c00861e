package vbox

import "strings"

// osType is one guest OS type of `list ostypes`.
type osType struct {
	ID, Desc, Family, FamilyDesc string
	Is64                         bool
}

// osTypes is the minimal table the simulator knows.
var osTypes = []osType{
	{"Other", "Other/Unknown", "Other", "Other", false},
	{"Other_64", "Other/Unknown (64-bit)", "Other", "Other", true},
	{"Linux26", "Linux 2.6 / 3.x / 4.x / 5.x (32-bit)", "Linux", "Linux", false},
	{"Linux26_64", "Linux 2.6 / 3.x / 4.x / 5.x (64-bit)", "Linux", "Linux", true},
	{"Linux_64", "Other Linux (64-bit)", "Linux", "Linux", true},
	{"Debian_64", "Debian (64-bit)", "Linux", "Linux", true},
	{"Ubuntu", "Ubuntu (32-bit)", "Linux", "Linux", false},
	{"Ubuntu_64", "Ubuntu (64-bit)", "Linux", "Linux", true},
	{"Fedora_64", "Fedora (64-bit)", "Linux", "Linux", true},
	{"RedHat_64", "Red Hat (64-bit)", "Linux", "Linux", true},
}

// osByID finds an OS type by ID (case-insensitive like VirtualBox).
func osByID(id string) (osType, bool) {
	for _, t := range osTypes {
		if strings.EqualFold(t.ID, id) {
			return t, true
		}
	}
	return osType{}, false
}

// ovfOSType maps CIM OS ids of an OVF OperatingSystemSection to types.
var ovfOSType = map[string]string{
	"1": "Other", "36": "Linux26", "93": "Ubuntu", "94": "Ubuntu_64",
	"95": "Debian_64", "96": "Debian_64", "101": "Linux_64", "102": "Other_64",
	"79": "RedHat_64", "80": "RedHat_64",
}
