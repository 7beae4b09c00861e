package sys

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Hostname is the guest's current (kernel) hostname; outside a live guest it
// is the content of /etc/hostname.
func (e *Env) Hostname() string {
	if e.Live {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	data, _ := e.ReadFile("/etc/hostname")
	return strings.TrimSpace(string(data))
}

// SetHostname sets the kernel hostname (live only) and writes /etc/hostname.
func (e *Env) SetHostname(name string, static bool) error {
	if e.Live {
		if err := unix.Sethostname([]byte(name)); err != nil {
			return fmt.Errorf("setting the hostname: %w", err)
		}
	}
	if !static {
		return nil
	}
	return e.WriteFile("/etc/hostname", []byte(name+"\n"), 0o644)
}

// HostResolves reports whether /etc/hosts names host.
func (e *Env) HostResolves(host string) bool {
	if host == "localhost" || host == "" {
		return true
	}
	data, _ := e.ReadFile("/etc/hosts")
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		for _, name := range f[min(1, len(f)):] {
			if strings.EqualFold(name, host) {
				return true
			}
		}
	}
	return false
}

// SetLoopbackName makes the 127.0.1.1 line of /etc/hosts name fqdn and host,
// replacing an existing 127.0.1.1 line or adding one after 127.0.0.1.
func (e *Env) SetLoopbackName(fqdn, host string) error {
	names := host
	if fqdn != "" && fqdn != host {
		names = fqdn + " " + host
	}
	entry := "127.0.1.1 " + names
	data, err := e.ReadFile("/etc/hosts")
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("reading /etc/hosts: %w", err)
	}
	var lines []string
	if len(data) > 0 {
		lines = strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	}
	done := false
	for i, line := range lines {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "127.0.1.1" {
			lines[i], done = entry, true
		}
	}
	if !done {
		at := 0
		for i, line := range lines {
			if f := strings.Fields(line); len(f) > 0 && f[0] == "127.0.0.1" {
				at = i + 1
			}
		}
		lines = append(lines[:at], append([]string{entry}, lines[at:]...)...)
	}
	return e.WriteFile("/etc/hosts", []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// DebianHosts is the /etc/hosts cloud-init writes with manage_etc_hosts.
func DebianHosts(fqdn, host string) string {
	names := host
	if fqdn != "" && fqdn != host {
		names = fqdn + " " + host
	}
	return "127.0.1.1 " + names + "\n127.0.0.1 localhost\n\n" +
		"# The following lines are desirable for IPv6 capable hosts\n" +
		"::1 localhost ip6-localhost ip6-loopback\n" +
		"ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"
}
