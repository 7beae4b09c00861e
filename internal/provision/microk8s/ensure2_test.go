package microk8s

import (
	"context"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/spec"
)

// settledGuests scripts a cluster that Ensure already built.
func settledGuests(t *testing.T, w *world) map[string]*fakeGuest {
	gs := freshGuests(t, w)
	for _, g := range gs {
		g.rules = append([]*rule{
			{"snap list microk8s", []reply{{"Name      Version   Rev  Tracking     " +
				"Publisher   Notes\nmicrok8s  v1.29.15  7229  1.29/stable  canonical** classic\n",
				0}}},
			{"--node-ip=", []reply{{"", 0}}},
			{"--advertise-address=", []reply{{"", 0}}},
			{"cat /etc/hosts", []reply{{fixture(t, "hosts"), 0}}},
			{"status --format yaml", []reply{{fixture(t, "status.yaml"), 0}}},
		}, g.rules...)
	}
	return gs
}

func TestEnsureSecondRunChangesNothing(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	gs := settledGuests(t, w)
	res, err := EnsureWith(context.Background(), c, guests(gs),
		Options{APIHostPort: 16443, Out: func(string) io.Writer { return io.Discard }})
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`add-node`, `microk8s join`, `snap install`,
		`snap restart`, `microk8s enable`, `cat > /etc/hosts`} {
		if i := index(w.log, re); i >= 0 {
			t.Errorf("second run ran %q", w.log[i])
		}
	}
	if res.Kubeconfig != c.Kubeconfig || len(res.Nodes) != 3 {
		t.Errorf("result = %+v", res)
	}
	checkKubeconfig(t, c.Kubeconfig)
}

func TestEnsureJoinRefused(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	gs := freshGuests(t, w, "nodes-cp.json")
	gs["worker-1"].rules = append([]*rule{{"microk8s join",
		[]reply{{"Contacting cluster at 192.168.56.10\n" +
			"Connection failed. invalid token (500).\n", 6}}}}, gs["worker-1"].rules...)
	_, err := Ensure(context.Background(), c, guests(gs), 16443, nil)
	want := "node worker-1: step join: `microk8s join` to cp exited 6: " +
		"Contacting cluster at 192.168.56.10\nConnection failed. invalid token (500).; " +
		"check that worker-1 reaches 192.168.56.10 on port 25000 and both clocks agree"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if i := index(w.log, `^worker-2: sudo -n microk8s join`); i >= 0 {
		t.Errorf("joined worker-2 after worker-1 failed: %s", w.log[i])
	}
}

func TestEnsureWarnsOutsideLab(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	c.Kubeconfig = filepath.Join(t.TempDir(), "kube", "config")
	res, err := Ensure(context.Background(), c, guests(settledGuests(t, w)), 16443, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kubeconfig " + c.Kubeconfig + " holds cluster credentials; keep it " +
		"git-ignored (or leave kubeconfig at its default under .lab/)"}
	if strings.Join(res.Warnings, "|") != strings.Join(want, "|") {
		t.Errorf("warnings = %q, want %q", res.Warnings, want)
	}
	checkKubeconfig(t, c.Kubeconfig)
}

func TestClusterAddr(t *testing.T) {
	derived := func(mac string) func(*spec.Node, int) string {
		return func(*spec.Node, int) string { return mac }
	}
	tests := []struct {
		name  string
		node  int // index into the workers
		macOf func(*spec.Node, int) string
		want  string
		err   string
	}{
		{"static", 0, nil, "192.168.56.11", ""},
		{"derived MAC", 1, derived("080027AABB02"), "192.168.56.50", ""},
		{"by cidr", 1, nil, "192.168.56.50", ""},
		{"MAC absent", 1, derived("080027AABB09"), "",
			"no IPv4 address on network lan (NIC 2, MAC 080027AABB09) yet; check the " +
				"network's DHCP server and `ip addr` on the node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &world{}
			c := testCluster(t)
			n := c.Workers[tt.node]
			n.NICs[0].MAC = ""
			g := freshGuests(t, w)[n.Name]
			m := &member{node: n, worker: true, g: g, out: io.Discard}
			got, err := clusterAddr(context.Background(), c, m, tt.macOf)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || got != netip.MustParseAddr(tt.want) {
				t.Fatalf("got %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestWithBlock(t *testing.T) {
	block := "# lab begin\n192.168.56.10 cp\n# lab end\n"
	tests := []struct{ name, in, want string }{
		{"empty", "", block},
		{"append", "127.0.0.1 localhost", "127.0.0.1 localhost\n" + block},
		{"replace", "127.0.0.1 localhost\n# lab begin\n10.0.0.1 cp\n# lab end\n::1 x\n",
			"127.0.0.1 localhost\n::1 x\n" + block},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withBlock(tt.in, block); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSetArgScriptShell runs the script in a local shell against a copy of
// an args file: it replaces the flag once, then finds nothing to do.
func TestSetArgScriptShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "kubelet")
	orig := "--kubeconfig=${SNAP_DATA}/credentials/kubelet.config\n--node-ip=10.0.2.15\n" +
		"--node-labels=\"microk8s.io/cluster=true\"\n"
	if err := os.WriteFile(file, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	script := strings.ReplaceAll(setArgScript("kubelet", "--node-ip", "192.168.56.10"),
		"sudo -n ", "")
	script = strings.ReplaceAll(script, argsDir, dir)
	want := "--kubeconfig=${SNAP_DATA}/credentials/kubelet.config\n" +
		"--node-labels=\"microk8s.io/cluster=true\"\n--node-ip=192.168.56.10\n"
	for i, said := range []string{"changed\n", ""} {
		out, err := exec.Command(sh, "-c", script).CombinedOutput()
		if err != nil || string(out) != said {
			t.Fatalf("run %d: %q, %v; want %q", i, out, err, said)
		}
		got, _ := os.ReadFile(file)
		if string(got) != want {
			t.Fatalf("run %d: file = %q, want %q", i, got, want)
		}
	}
}

func TestEnsureControlPlaneJoin(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	c.ControlPlane = append(c.ControlPlane, c.Workers[0])
	c.Workers = c.Workers[1:]
	gs := freshGuests(t, w, "nodes-cp.json")
	if _, err := Ensure(context.Background(), c, guests(gs), 16443, nil); err != nil {
		t.Fatal(err)
	}
	join := index(w.log, `^worker-1: sudo -n microk8s join 192\.168\.56\.10:25000/`+
		`TOKEN/1a2b3c4d5e6f$`)
	if join < 0 {
		t.Fatalf("no control-plane join in %q", w.log)
	}
	pin := index(w.log, `^worker-1: .*--advertise-address=192\.168\.56\.11`)
	if pin < 0 || pin > join {
		t.Errorf("advertise-address at %d, join at %d", pin, join)
	}
}

func TestListsSnap(t *testing.T) {
	tests := []struct {
		name, out string
		want      bool
	}{
		{"installed", "Name      Version   Rev   Tracking     Publisher    Notes\n" +
			"core20    20240111  2182  latest/stable  canonical**  base\n" +
			"microk8s  v1.29.15  7229  1.29/stable  canonical**  classic\n", true},
		{"other snaps", "Name      Version   Rev   Tracking     Publisher    Notes\n" +
			"core20    20240111  2182  latest/stable  canonical**  base\n", false},
		{"none installed", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listsSnap(tt.out, "microk8s"); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// A former member whose VM is gone is removed from the cluster when the
// control plane still lists it; one it no longer lists is left alone.
func TestEnsureForgetsLeavingNodes(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	c.Workers = c.Workers[:1] // worker-2 left the Labfile
	gs := settledGuests(t, w)
	_, err := EnsureWith(context.Background(), c, guests(gs), Options{APIHostPort: 16443,
		Out: func(string) io.Writer { return io.Discard }, Leaving: []string{"worker-2", "gone"}})
	if err != nil {
		t.Fatal(err)
	}
	if index(w.log, `^cp: sudo -n microk8s remove-node worker-2 --force$`) < 0 {
		t.Errorf("worker-2 not removed:\n%s", strings.Join(w.log, "\n"))
	}
	if i := index(w.log, `remove-node gone`); i >= 0 {
		t.Errorf("removed a node the cluster does not list: %s", w.log[i])
	}
}

// Workers still joined to a destroyed control plane's cluster fail at once
// with the way out, instead of waiting for nodes the new one never lists.
func TestEnsureWorkersOfAnEarlierControlPlane(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	gs := freshGuests(t, w)
	gs["cp"].rules = append([]*rule{{"kubectl get nodes -o json",
		[]reply{{fixture(t, "nodes-cp.json"), 0}}}}, gs["cp"].rules...)
	for _, n := range []string{"worker-1", "worker-2"} {
		gs[n].rules = append([]*rule{{"status --format yaml", []reply{{
			"This MicroK8s deployment is acting as a node in a cluster.\n", 0}}}},
			gs[n].rules...)
	}
	_, err := Ensure(context.Background(), c, guests(gs), 16443, nil)
	want := "node worker-1 is in a cluster, but cp does not list it: it joined an " +
		"earlier VM of cp"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want it to start with %q", err, want)
	}
	if i := index(w.log, `microk8s join|remove-node`); i >= 0 {
		t.Errorf("ran %q", w.log[i])
	}
}
