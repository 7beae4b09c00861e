package guest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// BootConfig is what the guest's first process needs to become PID 1 of
// the guest: written by the VM process, read by Boot in the child.
type BootConfig struct {
	Root  string   `json:"root"`  // guest root directory on the host
	NetNS string   `json:"netns"` // /run/netns/<guest namespace>
	Binds []Bind   `json:"binds"`
	DHCP  []byte   `json:"dhcp"` // content of /run/labsim/dhcp.json
	Env   []string `json:"env"`
}

// BootArg is the hidden labsim subcommand that runs Boot.
const BootArg = "__boot"

// devNodes are bound from the host into the guest's /dev.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}

// Boot runs in the guest's new PID, mount, UTS and IPC namespaces: it
// joins the guest's network namespace, builds the guest's mounts, pivots
// into the guest root and execs /sbin/init as PID 1. It returns only on
// failure.
func Boot(cfgPath string) error {
	runtime.LockOSThread() // setns and exec must happen on this thread
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return fmt.Errorf("reading boot config: %w", err)
	}
	var cfg BootConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("decoding boot config: %w", err)
	}
	if err := joinNetns(cfg.NetNS); err != nil {
		return err
	}
	if err := mountGuest(&cfg); err != nil {
		return err
	}
	if err := pivot(cfg.Root); err != nil {
		return err
	}
	setHostname()
	if err := dropCaps(); err != nil {
		return err
	}
	return unix.Exec("/sbin/init", []string{"/sbin/init"}, cfg.Env)
}

func joinNetns(p string) error {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening guest network namespace: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("joining guest network namespace: %w", err)
	}
	return nil
}

// mountGuest makes the guest's /proc, /sys, /dev, /run, /tmp and the host
// binds, all inside the guest's private mount namespace.
func mountGuest(cfg *BootConfig) error {
	root := cfg.Root
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding the guest root: %w", err)
	}
	const nsd = unix.MS_NOSUID | unix.MS_NODEV
	mounts := []struct {
		dst, fstype, data string
		flags             uintptr
	}{
		{"/proc", "proc", "", nsd | unix.MS_NOEXEC},
		{"/sys", "sysfs", "", nsd | unix.MS_NOEXEC | unix.MS_RDONLY},
		{"/run", "tmpfs", "mode=755", nsd},
		{"/tmp", "tmpfs", "mode=1777", nsd},
		{"/dev", "tmpfs", "mode=755", unix.MS_NOSUID},
		{"/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=620,gid=5",
			unix.MS_NOSUID | unix.MS_NOEXEC},
		{"/dev/shm", "tmpfs", "mode=1777", nsd},
	}
	for _, m := range mounts {
		dst, err := ensureTarget(root, m.dst, true)
		if err != nil {
			return err
		}
		if err := unix.Mount(m.fstype, dst, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mounting guest %s: %w", m.dst, err)
		}
	}
	if err := protectProc(root); err != nil {
		return err
	}
	if err := populateDev(root); err != nil {
		return err
	}
	if err := populateRun(root, cfg.DHCP); err != nil {
		return err
	}
	for _, b := range cfg.Binds {
		if err := bindRO(root, b); err != nil {
			return err
		}
	}
	return nil
}

// ensureTarget resolves p in root and creates it (a folder or an empty
// file) so something can be mounted on it.
func ensureTarget(root, p string, dir bool) (string, error) {
	dst, err := inRoot(root, p)
	if err != nil {
		return "", err
	}
	if dir {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return "", fmt.Errorf("creating guest %s: %w", p, err)
		}
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("creating guest %s: %w", filepath.Dir(p), err)
	}
	if _, err := os.Lstat(dst); err != nil {
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			return "", fmt.Errorf("creating guest %s: %w", p, err)
		}
		f.Close()
	}
	return dst, nil
}

func bindRO(root string, b Bind) error {
	dst, err := ensureTarget(root, b.Dst, b.Dir)
	if err != nil {
		return err
	}
	if err := unix.Mount(b.Src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding %s into the guest: %w", b.Src, err)
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID)
	if err := unix.Mount("", dst, "", flags, ""); err != nil {
		return fmt.Errorf("making guest %s read-only: %w", b.Dst, err)
	}
	return nil
}

func populateDev(root string) error {
	for _, d := range devNodes {
		if err := bindDev(root, d); err != nil {
			return err
		}
	}
	links := map[string]string{"ptmx": "pts/ptmx", "fd": "/proc/self/fd",
		"stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, "dev", name)); err != nil {
			return fmt.Errorf("creating guest /dev/%s: %w", name, err)
		}
	}
	return nil
}

func bindDev(root, name string) error {
	dst, err := ensureTarget(root, "/dev/"+name, false)
	if err != nil {
		return err
	}
	if err := unix.Mount("/dev/"+name, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("binding /dev/%s into the guest: %w", name, err)
	}
	return nil
}

// populateRun gives the guest's fresh /run sshd's privilege-separation
// folder and the DHCP answers.
func populateRun(root string, dhcp []byte) error {
	for _, d := range []string{"/run/sshd", "/run/labsim", "/run/lock"} {
		if _, err := ensureTarget(root, d, true); err != nil {
			return err
		}
	}
	p := filepath.Join(root, "run", "labsim", "dhcp.json")
	if err := os.WriteFile(p, dhcp, 0o644); err != nil {
		return fmt.Errorf("writing the guest's DHCP leases: %w", err)
	}
	return nil
}

// pivot makes root the process's / and drops the host's tree.
func pivot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("entering the guest root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivoting into the guest root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host root: %w", err)
	}
	return unix.Chdir("/")
}

// setHostname applies the guest's /etc/hostname, as early boot does.
func setHostname() {
	name := "ubuntu"
	if data, err := os.ReadFile("/etc/hostname"); err == nil {
		if s := strings.TrimSpace(string(data)); s != "" {
			name = s
		}
	}
	_ = unix.Sethostname([]byte(name))
}
