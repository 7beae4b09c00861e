package vbox

import (
	"fmt"
	"strings"
)

// defaultVersion is the VirtualBox release played unless
// LAB_SIM_VBOX_VERSION says otherwise.
const defaultVersion = "7.1.4r165100"

// version is the VirtualBox release the simulator plays.
type version struct {
	Major, Minor, Patch int
	Rev                 string
}

// revisions are the build revisions of releases the tests name, so --version
// prints what the real release prints.
var revisions = map[string]string{
	"6.1.50": "161033",
	"6.1.26": "145957",
	"6.1.28": "147628",
	"7.0.14": "161095",
	"7.1.4":  "165100",
}

// parseVersion reads "7.1.4", "6.1.50r161033" or "" (the default).
func parseVersion(s string) (version, error) {
	if s == "" {
		s = defaultVersion
	}
	num, rev, _ := strings.Cut(s, "r")
	var v version
	if _, err := fmt.Sscanf(num, "%d.%d.%d", &v.Major, &v.Minor, &v.Patch); err != nil {
		return v, fmt.Errorf("LAB_SIM_VBOX_VERSION %q is not a release like 7.1.4", s)
	}
	if rev == "" {
		rev = revisions[num]
		if rev == "" {
			rev = "160000"
		}
	}
	v.Rev = rev
	return v, nil
}

// String is the --version output.
func (v version) String() string {
	return fmt.Sprintf("%d.%d.%dr%s", v.Major, v.Minor, v.Patch, v.Rev)
}

// atLeast reports whether v is the release maj.min.patch or later.
func (v version) atLeast(maj, min, patch int) bool {
	if v.Major != maj {
		return v.Major > maj
	}
	if v.Minor != min {
		return v.Minor > min
	}
	return v.Patch >= patch
}

// v7 reports whether the 7.x option spellings and formats apply.
func (v version) v7() bool { return v.Major >= 7 }

// apiVersion is what `list systemproperties` prints, e.g. 7_1.
func (v version) apiVersion() string { return fmt.Sprintf("%d_%d", v.Major, v.Minor) }
