package guest

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// droppedCaps are capabilities the guest's root never gets: they reach
// the host kernel beyond the guest's namespaces (modules, raw I/O, device
// nodes, the clock, kernel logs, BPF, security modules).
var droppedCaps = []uintptr{
	unix.CAP_SYS_MODULE, unix.CAP_SYS_RAWIO, unix.CAP_MKNOD, unix.CAP_SYS_TIME,
	unix.CAP_SYSLOG, unix.CAP_MAC_ADMIN, unix.CAP_MAC_OVERRIDE, unix.CAP_AUDIT_CONTROL,
	unix.CAP_BPF, unix.CAP_PERFMON, unix.CAP_WAKE_ALARM, unix.CAP_BLOCK_SUSPEND,
	unix.CAP_SYS_PACCT,
}

// dropCaps removes droppedCaps from the bounding set, so init and all its
// descendants lack them after exec.
func dropCaps() error {
	for _, c := range droppedCaps {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	return nil
}

// protectProc makes the host-wide kernel knobs under the guest's /proc
// read-only, keeping /proc/sys/net writable (it belongs to the guest's
// network namespace).
func protectProc(root string) error {
	for _, p := range []string{"/proc/sys", "/proc/sysrq-trigger"} {
		dst := root + p
		if _, err := os.Stat(dst); err != nil {
			continue // kernels without magic SysRq have no trigger
		}
		if err := unix.Mount(dst, dst, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("protecting guest %s: %w", p, err)
		}
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
		if err := unix.Mount("", dst, "", flags, ""); err != nil {
			return fmt.Errorf("protecting guest %s: %w", p, err)
		}
	}
	net := root + "/proc/sys/net"
	if err := unix.Mount(net, net, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("keeping guest /proc/sys/net writable: %w", err)
	}
	return unix.Mount("", net, "", unix.MS_BIND|unix.MS_REMOUNT, "")
}
