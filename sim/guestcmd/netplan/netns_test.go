package netplan

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// TestApplyInNetns applies a config with the real ip binary inside a
// network namespace made for the test, reads the routes back, and checks a
// second apply changes nothing. Root only.
func TestApplyInNetns(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := os.Stat(sys.IPBinary); err != nil {
		t.Skip("no ip binary")
	}
	ns := fmt.Sprintf("labsim-netplan-%d", os.Getpid())
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(sys.IPBinary, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	ip("netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command(sys.IPBinary, "netns", "del", ns).Run() })
	ip("-n", ns, "link", "add", "enp0s3", "address", "08:00:27:aa:bb:00", "type", "veth",
		"peer", "name", "peer3")
	ip("-n", ns, "link", "add", "enp0s8", "address", "08:00:27:aa:bb:01", "type", "veth",
		"peer", "name", "peer8")
	ip("-n", ns, "link", "set", "peer3", "up")
	ip("-n", ns, "link", "set", "peer8", "up")

	g := natGuest(t)
	var calls []string
	g.Env.Run = func(argv ...string) (string, error) {
		if argv[0] == sys.IPBinary {
			argv = append([]string{sys.IPBinary, "-n", ns}, argv[1:]...)
			if argv[3] != "-j" {
				calls = append(calls, strings.Join(argv[3:], " "))
			}
		}
		return sys.ExecRunner(argv...)
	}
	g.Write(t, "/etc/netplan/60-lab.yaml", labYAML, 0o600)
	if code := Main(g.Env, []string{"apply"}); code != 0 {
		t.Fatalf("apply exit %d: %s", code, g.Err)
	}
	out, err := g.Env.Run(sys.IPBinary, "route")
	if err != nil {
		t.Fatal(err)
	}
	want := "default via 10.0.2.2 dev enp0s3 proto dhcp src 10.0.2.15 metric 100 \n" +
		"10.0.2.0/24 dev enp0s3 proto kernel scope link src 10.0.2.15 metric 100 \n" +
		"10.0.2.2 dev enp0s3 proto dhcp scope link src 10.0.2.15 metric 100 \n" +
		"10.0.2.3 dev enp0s3 proto dhcp scope link src 10.0.2.15 metric 100 \n" +
		"10.9.0.0/16 via 192.168.56.1 dev lab1 proto static metric 50 \n" +
		"192.168.56.0/24 dev lab1 proto kernel scope link src 192.168.56.11 \n"
	if out != want {
		t.Errorf("routes:\n%s\nwant:\n%s", out, want)
	}
	links, _ := g.Env.Links()
	var dyn bool
	for _, l := range links {
		for _, a := range l.AddrInfo {
			if a.Local == "10.0.2.15" {
				dyn = a.Dynamic
			}
		}
	}
	if !dyn {
		data, _ := json.Marshal(links)
		t.Errorf("DHCP address not dynamic: %s", data)
	}
	calls = nil
	if code := Main(g.Env, []string{"apply"}); code != 0 {
		t.Fatalf("second apply exit %d: %s", code, g.Err)
	}
	if strings.Join(calls, "|") != "link set dev lab1 up|link set dev enp0s3 up" {
		t.Errorf("second apply ran %q", calls)
	}
}
