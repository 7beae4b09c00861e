package vbox

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// version is a VirtualBox release.
type version struct {
	Major, Minor, Patch int
}

func (v version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// atLeast reports whether v is major.minor or newer.
func (v version) atLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// kernelMessages are printed instead of a version when the host drivers
// are missing; each means VirtualBox cannot run VMs.
var kernelMessages = []string{
	"vboxdrv kernel module is not loaded",
	"VirtualBox kernel modules are not loaded",
	"Please install",
}

// parseVersion reads `VBoxManage --version`: WARNING lines dropped, the
// first line cut at "_" and "r" (7.0.14r161095 -> 7.0.14,
// 6.1.38_Ubuntur153438 -> 6.1.38).
func parseVersion(out string) (version, error) {
	for _, m := range kernelMessages {
		if strings.Contains(out, m) {
			return version{}, fmt.Errorf("virtualbox cannot run VMs: %s", firstLine(out))
		}
	}
	var first string
	for _, l := range lines(out) {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "WARNING:") {
			first = l
			break
		}
	}
	if first == "" {
		return version{}, errors.New("VBoxManage --version printed nothing")
	}
	s, _, _ := strings.Cut(first, "_")
	s, _, _ = strings.Cut(s, "r")
	parts := strings.Split(s, ".")
	nums := make([]int, 3)
	for i := 0; i < len(parts) && i < 3; i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return version{}, fmt.Errorf("unexpected VBoxManage --version output %q", first)
		}
		nums[i] = n
	}
	if len(parts) < 2 {
		return version{}, fmt.Errorf("unexpected VBoxManage --version output %q", first)
	}
	return version{nums[0], nums[1], nums[2]}, nil
}

func firstLine(s string) string {
	for _, l := range lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
