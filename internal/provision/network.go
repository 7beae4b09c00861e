package provision

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
)

// netplanExitConfig is `netplan apply`'s exit code for a bad configuration
// (os.EX_CONFIG).
const netplanExitConfig = 78

// runCapture runs cmd and returns its exit code, stdout and stderr.
func runCapture(ctx context.Context, g Guest, cmd string) (int, string, string, error) {
	var out, errb bytes.Buffer
	code, err := g.Run(ctx, cmd, nil, &out, &errb)
	return code, out.String(), errb.String(), err
}

// tempName returns a fresh guest path under /tmp.
func tempName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "/tmp/" + prefix + "-" + hex.EncodeToString(b[:])
}

// ConfigureNetwork installs cfg (from NetplanConfig) as
// /etc/netplan/60-lab.yaml, root-owned 0600, and runs `netplan apply`.
// An unchanged file is left alone and not applied again. A guest without
// netplan but with ifupdown gets the same NICs in
// /etc/network/interfaces.d/60-lab instead.
func ConfigureNetwork(ctx context.Context, g Guest, cfg []byte) error {
	code, _, _, err := runCapture(ctx, g, "command -v netplan")
	if err != nil {
		return fmt.Errorf("configuring guest network: %w", err)
	}
	if code != 0 {
		return configureWithoutNetplan(ctx, g, cfg)
	}
	tmp := tempName("lab-netplan") + ".yaml"
	if err := g.WriteFile(ctx, tmp, cfg, 0o600); err != nil {
		return fmt.Errorf("configuring guest network: %w", err)
	}
	if code, _, _, err := runCapture(ctx, g, "sudo -n cmp -s "+tmp+" "+NetplanPath); err == nil &&
		code == 0 {
		_, _, _, _ = runCapture(ctx, g, "rm -f "+tmp)
		return nil
	}
	install := fmt.Sprintf("sudo -n install -m 600 -o root -g root %s %s; rc=$?; rm -f %s; exit $rc",
		tmp, NetplanPath, tmp)
	if err := mustRun(ctx, g, install); err != nil {
		return fmt.Errorf("configuring guest network: installing %s: %w", NetplanPath, err)
	}
	code, _, stderr, err := runCapture(ctx, g, "sudo -n netplan apply")
	if err != nil {
		return fmt.Errorf("configuring guest network: netplan apply: %w", err)
	}
	if code == netplanExitConfig {
		return fmt.Errorf("configuring guest network: netplan rejected %s (exit 78): %s",
			NetplanPath, strings.TrimSpace(stderr))
	}
	if code != 0 {
		return fmt.Errorf("configuring guest network: netplan apply exited %d: %s",
			code, strings.TrimSpace(stderr))
	}
	return nil
}

// configureWithoutNetplan falls back to ifupdown when the guest has it.
func configureWithoutNetplan(ctx context.Context, g Guest, cfg []byte) error {
	code, _, _, err := runCapture(ctx, g,
		"command -v ifup && command -v ifdown && test -f /etc/network/interfaces")
	if err != nil {
		return fmt.Errorf("configuring guest network: %w", err)
	}
	if code != 0 {
		return fmt.Errorf("configuring guest network: the guest has neither netplan " +
			"nor ifupdown (ifup, ifdown and /etc/network/interfaces)")
	}
	if err := configureIfupdown(ctx, g, cfg); err != nil {
		return fmt.Errorf("configuring guest network with ifupdown: %w", err)
	}
	return nil
}

// mustRun runs cmd and turns a non-zero exit into an error quoting stderr.
func mustRun(ctx context.Context, g Guest, cmd string) error {
	code, _, stderr, err := runCapture(ctx, g, cmd)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("`%s` exited %d: %s", cmd, code, strings.TrimSpace(stderr))
	}
	return nil
}

// Addresses returns the first IPv4 address, with its prefix, of each guest
// interface whose MAC is in macs (either form; keys are as given). MACs
// without an interface or without an IPv4 address are left out.
func Addresses(ctx context.Context, g Guest, macs []string) (map[string]netip.Prefix, error) {
	code, out, stderr, err := runCapture(ctx, g, "ip -j addr")
	if err != nil {
		return nil, fmt.Errorf("reading guest addresses: %w", err)
	}
	if code != 0 {
		return nil, fmt.Errorf("reading guest addresses: `ip -j addr` exited %d: %s",
			code, strings.TrimSpace(stderr))
	}
	links, err := ParseIPAddr([]byte(out))
	if err != nil {
		return nil, fmt.Errorf("reading guest addresses: %w", err)
	}
	found := map[string]netip.Prefix{}
	for _, mac := range macs {
		if l := LinkByMAC(links, mac); l != nil {
			if addrs := l.IPv4(); len(addrs) > 0 {
				found[mac] = addrs[0]
			}
		}
	}
	return found, nil
}
