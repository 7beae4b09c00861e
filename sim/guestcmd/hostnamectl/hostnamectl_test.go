package hostnamectl

import (
	"testing"

	"github.com/labtool/lab/sim/guestcmd/guesttest"
)

func TestStatusAndSet(t *testing.T) {
	g := guesttest.New(t)
	if code := Main(g.Env, []string{"set-hostname", "web-1"}); code != 0 || g.Out.Len() != 0 {
		t.Fatalf("set-hostname: %d %q %q", code, g.Out, g.Err)
	}
	if got := g.Read(t, "/etc/hostname"); got != "web-1\n" {
		t.Errorf("/etc/hostname = %q", got)
	}
	Main(g.Env, nil)
	want := " Static hostname: web-1\n       Icon name: computer-vm\n         Chassis: vm\n" +
		"  Virtualization: oracle\nOperating System: Ubuntu 22.04.4 LTS\n" +
		" Hardware Vendor: innotek GmbH\n  Hardware Model: VirtualBox\n"
	if g.Out.String() != want {
		t.Errorf("status:\n%s\nwant:\n%s", g.Out, want)
	}
	if code := Main(g.Env, []string{"set-hostname", "bad_name"}); code != 1 {
		t.Errorf("bad name accepted")
	}
}
