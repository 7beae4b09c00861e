package usermod

import (
	"testing"

	"github.com/labtool/lab/sim/guestcmd/guesttest"
)

func TestUsermod(t *testing.T) {
	g := guesttest.New(t)
	g.Write(t, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"+
		"ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n", 0o644)
	g.Write(t, "/etc/group", "root:x:0:\nsudo:x:27:ubuntu\nmicrok8s:x:998:\n", 0o644)
	cases := []struct {
		args []string
		code int
		errs string
	}{
		{[]string{"-a", "-G", "microk8s", "ubuntu"}, 0, ""},
		{[]string{"-aG", "microk8s", "ubuntu"}, 0, ""},
		{[]string{"-aG", "nope", "ubuntu"}, 6, "usermod: group 'nope' does not exist\n"},
		{[]string{"-aG", "sudo", "bob"}, 6, "usermod: user 'bob' does not exist\n"},
	}
	for _, c := range cases {
		g.Err.Reset()
		if code := Main(g.Env, c.args); code != c.code || g.Err.String() != c.errs {
			t.Errorf("%v: %d %q, want %d %q", c.args, code, g.Err, c.code, c.errs)
		}
	}
	if got := g.Read(t, "/etc/group"); got != "root:x:0:\nsudo:x:27:ubuntu\nmicrok8s:x:998:ubuntu\n" {
		t.Errorf("/etc/group = %q", got)
	}
}
