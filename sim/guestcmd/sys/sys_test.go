package sys

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func testEnv(t *testing.T) *Env {
	return &Env{Root: t.TempDir(), Getenv: func(string) string { return "" }}
}

func TestLoopbackName(t *testing.T) {
	cases := []struct{ before, fqdn, host, after string }{
		{"127.0.0.1 localhost\n::1 ip6-localhost\n", "", "web-1",
			"127.0.0.1 localhost\n127.0.1.1 web-1\n::1 ip6-localhost\n"},
		{"127.0.0.1 localhost\n127.0.1.1 old\n", "web-1.lab", "web-1",
			"127.0.0.1 localhost\n127.0.1.1 web-1.lab web-1\n"},
		{"", "", "cp", "127.0.1.1 cp\n"},
	}
	for _, c := range cases {
		e := testEnv(t)
		if c.before != "" {
			if err := e.WriteFile("/etc/hosts", []byte(c.before), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.SetLoopbackName(c.fqdn, c.host); err != nil {
			t.Fatal(err)
		}
		got, _ := e.ReadFile("/etc/hosts")
		if string(got) != c.after {
			t.Errorf("hosts %q -> %q, want %q", c.before, got, c.after)
		}
		if !e.HostResolves(c.host) || e.HostResolves("other") {
			t.Errorf("HostResolves wrong for %q", got)
		}
	}
}

func TestScale(t *testing.T) {
	e := testEnv(t)
	if e.Scale() != 1 {
		t.Errorf("default scale = %v", e.Scale())
	}
	if err := e.WriteFile(ScaleFile, []byte("0.02\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if e.Scale() != 0.02 {
		t.Errorf("file scale = %v", e.Scale())
	}
	e.Getenv = func(string) string { return "0.5" }
	if e.Scale() != 0.5 {
		t.Errorf("env scale = %v", e.Scale())
	}
}

func TestUsersAndGroups(t *testing.T) {
	e := testEnv(t)
	_ = e.WriteFile("/etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644)
	_ = e.WriteFile("/etc/group", []byte("root:x:0:\nadm:x:4:syslog\n"), 0o644)
	u, err := e.AddUser("ubuntu", "Ubuntu", "/home/ubuntu", "/bin/bash")
	if err != nil || u.UID != 1000 || u.GID != 1000 {
		t.Fatalf("AddUser = %+v %v", u, err)
	}
	if err := e.AddToGroups("ubuntu", []string{"adm", "microk8s"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(e.Root, "etc/group"))
	want := "root:x:0:\nadm:x:4:syslog,ubuntu\nubuntu:x:1000:\nmicrok8s:x:999:ubuntu\n"
	if string(got) != want {
		t.Errorf("group:\n%s\nwant:\n%s", got, want)
	}
	if ids := e.GroupIDs(u); len(ids) != 3 || ids[0] != 1000 {
		t.Errorf("GroupIDs = %v", ids)
	}
}

func TestDefaultIPv4(t *testing.T) {
	e := testEnv(t)
	e.Run = func(argv ...string) (string, error) {
		if argv[len(argv)-1] == "default" {
			return `[{"dst":"default","gateway":"10.0.2.2","dev":"enp0s3","protocol":"dhcp",` +
				`"prefsrc":"10.0.2.15","metric":100,"flags":[]},{"dst":"default",` +
				`"gateway":"192.168.56.1","dev":"enp0s8","metric":200,"flags":[]}]`, nil
		}
		return `[{"ifindex":1,"ifname":"lo","link_type":"loopback","addr_info":[{"family":` +
			`"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},{"ifindex":2,` +
			`"ifname":"enp0s3","link_type":"ether","addr_info":[{"family":"inet","local":` +
			`"10.0.2.15","prefixlen":24,"scope":"global"}]},{"ifindex":3,"ifname":"enp0s8",` +
			`"link_type":"ether","addr_info":[{"family":"inet","local":"192.168.56.10",` +
			`"prefixlen":24,"scope":"global"},{"family":"inet6","local":"fe80::1",` +
			`"prefixlen":64,"scope":"link"}]},{"ifindex":4,"ifname":"cni0","link_type":` +
			`"ether","addr_info":[{"family":"inet","local":"10.1.0.1","prefixlen":24}]}]`, nil
	}
	if got := e.DefaultIPv4(); got != "10.0.2.15" {
		t.Errorf("DefaultIPv4 = %q", got)
	}
	if got := e.HostIPv4s(); len(got) != 2 || got[0] != "10.0.2.15" || got[1] != "192.168.56.10" {
		t.Errorf("HostIPv4s = %v", got)
	}
}

func TestWriteFileKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	e := testEnv(t)
	if err := e.WriteFile("/etc/shadow", []byte("a\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	hp := filepath.Join(e.Root, "etc/shadow")
	if err := os.Chown(hp, 0, 42); err != nil {
		t.Fatal(err)
	}
	if err := e.WriteFile("/etc/shadow", []byte("b\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(hp)
	if gid := st.Sys().(*syscall.Stat_t).Gid; gid != 42 {
		t.Errorf("gid = %d, want 42", gid)
	}
}
