// Package box builds the appliance that stands for an Ubuntu 22.04 cloud
// image: a guest root skeleton packed as a tar named like a disk, an OVF
// 1.0 descriptor shaped like Vagrant's ubuntu/jammy64 box, an OVA, and
// optionally an installed Vagrant box.
package box

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// entry is one file of the guest root skeleton.
type entry struct {
	path   string // relative, no leading slash
	mode   int64  // permission and setuid bits
	gid    int
	dir    bool
	link   string // symlink target
	data   []byte
	source string // host file to copy instead of data
}

// guestApplets are the guest command binary's names (it dispatches on
// argv[0]); sudo is a setuid copy, the others symlinks.
var guestApplets = map[string]string{
	"usr/sbin/init":        "",
	"usr/bin/cloud-init":   "",
	"usr/sbin/netplan":     "",
	"usr/bin/hostnamectl":  "",
	"usr/bin/snap":         "",
	"usr/bin/microk8s":     "",
	"usr/sbin/usermod":     "",
	"usr/bin/sudo":         "copy",
	"usr/lib/labsim/guest": "binary",
}

// skipApplets are busybox applets the skeleton leaves out because another
// program owns the name (init, the real ip) or they make no sense here.
var skipApplets = map[string]bool{
	"init": true, "linuxrc": true, "ip": true, "busybox": true,
}

// skeleton lists the guest root, merged-/usr like Ubuntu 22.04.
func skeleton(guestBin, busybox string) ([]entry, error) {
	if err := checkStatic(busybox); err != nil {
		return nil, err
	}
	es := baseDirs()
	taken := map[string]bool{}
	for _, e := range files() {
		es = append(es, e)
		taken[e.path] = true
	}
	es = append(es, entry{path: "usr/bin/busybox", mode: 0o755, source: busybox})
	applets, err := busyboxApplets(busybox)
	if err != nil {
		return nil, err
	}
	for p := range guestApplets {
		taken[p] = true
	}
	for _, a := range applets {
		if !taken[a] {
			es = append(es, entry{path: a, link: "/usr/bin/busybox"})
		}
	}
	for p, how := range guestApplets {
		switch how {
		case "":
			es = append(es, entry{path: p, link: "/usr/lib/labsim/guest"})
		case "copy":
			es = append(es, entry{path: p, mode: 0o4755, source: guestBin})
		default:
			es = append(es, entry{path: p, mode: 0o755, source: guestBin})
		}
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].path < es[j].path })
	return es, nil
}

func baseDirs() []entry {
	var es []entry
	dirs := map[string]int64{
		"boot": 0o755, "dev": 0o755, "etc": 0o755, "etc/ssh": 0o755,
		"etc/ssh/sshd_config.d": 0o755, "etc/netplan": 0o755, "etc/cloud": 0o755,
		"etc/sudoers.d": 0o750, "home": 0o755, "media": 0o755, "mnt": 0o755,
		"opt": 0o755, "proc": 0o555, "root": 0o700, "root/.ssh": 0o700, "run": 0o755,
		"snap": 0o755, "srv": 0o755, "sys": 0o555, "tmp": 0o1777, "usr": 0o755,
		"usr/bin": 0o755, "usr/sbin": 0o755, "usr/lib": 0o755, "usr/lib64": 0o755,
		"usr/lib/labsim": 0o755, "usr/lib/openssh": 0o755, "usr/local": 0o755,
		"usr/local/bin": 0o755, "usr/local/sbin": 0o755, "usr/share": 0o755,
		"var": 0o755, "var/lib": 0o755, "var/lib/cloud": 0o755, "var/lib/snapd": 0o755,
		"var/log": 0o755, "var/tmp": 0o1777, "var/cache": 0o755,
	}
	for p, m := range dirs {
		es = append(es, entry{path: p, mode: m, dir: true})
	}
	for _, l := range []string{"bin", "sbin", "lib", "lib64"} {
		es = append(es, entry{path: l, link: "usr/" + l})
	}
	es = append(es, entry{path: "var/run", link: "/run"},
		entry{path: "var/lock", link: "/run/lock"})
	return es
}

// checkStatic refuses a busybox that needs a dynamic loader: the guest
// has only the host libraries the runtime binds in.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("reading busybox %s (install Debian's busybox-static): %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("busybox %s is not static (install busybox-static)", path)
		}
	}
	return nil
}

// busyboxApplets lists the applet paths, mapped onto a merged /usr.
func busyboxApplets(busybox string) ([]string, error) {
	out, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets: %w", err)
	}
	var paths []string
	for _, line := range strings.Fields(string(out)) {
		name := line[strings.LastIndex(line, "/")+1:]
		if skipApplets[name] {
			continue
		}
		switch {
		case strings.HasPrefix(line, "bin/"), strings.HasPrefix(line, "sbin/"):
			paths = append(paths, "usr/"+line)
		case strings.HasPrefix(line, "usr/"):
			paths = append(paths, line)
		}
	}
	seen := map[string]bool{}
	var uniq []string
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			uniq = append(uniq, p)
		}
	}
	return uniq, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
