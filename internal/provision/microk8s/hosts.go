package microk8s

import (
	"context"
	"fmt"
	"strings"
)

// The lines around lab's block in a guest's /etc/hosts.
const (
	hostsBegin = "# lab begin"
	hostsEnd   = "# lab end"
)

// hostsBlock maps every cluster node's address to its name, so names
// resolve the same way on every node.
func hostsBlock(ms []*member) string {
	var b strings.Builder
	b.WriteString(hostsBegin + "\n")
	for _, m := range ms {
		fmt.Fprintf(&b, "%s %s\n", m.addr, m.node.Name)
	}
	b.WriteString(hostsEnd + "\n")
	return b.String()
}

// withBlock returns hosts with lab's block (if any) replaced by block,
// which goes at the end.
func withBlock(hosts, block string) string {
	var keep []string
	inside := false
	for _, line := range strings.SplitAfter(hosts, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == hostsBegin:
			inside = true
		case t == hostsEnd && inside:
			inside = false
		case !inside && line != "":
			keep = append(keep, line)
		}
	}
	out := strings.Join(keep, "")
	if out != "" && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	return out + block
}

// writeHosts puts lab's block into the guest's /etc/hosts, writing only
// when it differs; `cat >` keeps the file's inode and the rest of it.
func writeHosts(ctx context.Context, m *member, block string) error {
	cur, err := stdout(ctx, m, "cat /etc/hosts")
	if err != nil {
		return fmt.Errorf("reading /etc/hosts: %w", err)
	}
	want := withBlock(cur, block)
	if want == cur {
		return nil
	}
	code, text, err := outputIn(ctx, m, "sudo -n sh -c 'cat > /etc/hosts'", want)
	if err != nil {
		return fmt.Errorf("writing /etc/hosts: %w", err)
	}
	if code != 0 {
		return fmt.Errorf("writing /etc/hosts: exit %d: %s", code, trim(text))
	}
	fmt.Fprintln(m.out, "microk8s: updated /etc/hosts")
	return nil
}
