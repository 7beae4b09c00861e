package microk8s

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labtool/lab/internal/provision"
	"github.com/labtool/lab/internal/spec"
)

// reply is one scripted answer of the fake guest.
type reply struct {
	out  string
	code int
}

// rule answers commands containing match, in turn; the last answer repeats.
type rule struct {
	match   string
	replies []reply
}

// world records every command run on every fake guest, in order.
type world struct {
	mu  sync.Mutex
	log []string
}

func (w *world) add(s string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log = append(w.log, s)
	return len(w.log)
}

// fakeGuest scripts a node's command outputs; unknown commands succeed
// silently.
type fakeGuest struct {
	name  string
	w     *world
	mu    sync.Mutex
	rules []*rule
	stdin map[string]string
}

func (f *fakeGuest) Run(_ context.Context, cmd string, stdin io.Reader, stdout,
	_ io.Writer) (int, error) {
	f.w.add(f.name + ": " + cmd)
	if stdin != nil {
		b, _ := io.ReadAll(stdin)
		f.mu.Lock()
		f.stdin[cmd] = string(b)
		f.mu.Unlock()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if !strings.Contains(cmd, r.match) {
			continue
		}
		rep := r.replies[0]
		if len(r.replies) > 1 {
			r.replies = r.replies[1:]
		}
		_, _ = io.WriteString(stdout, rep.out)
		return rep.code, nil
	}
	return 0, nil
}

func (f *fakeGuest) Upload(context.Context, string, string) error { return nil }
func (f *fakeGuest) WriteFile(context.Context, string, []byte, os.FileMode) error {
	return nil
}
func (f *fakeGuest) Close() error { return nil }

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func testCluster(t *testing.T) *spec.Cluster {
	lan := &spec.Network{Name: "lan", Type: spec.NetHostOnly,
		CIDR: netip.MustParsePrefix("192.168.56.0/24")}
	nic := func(addr, mac string) []*spec.NIC {
		n := &spec.NIC{Slot: 2, Network: lan, MAC: mac, DefaultRoute: true}
		if addr != "" {
			n.Address = netip.MustParsePrefix(addr)
		}
		return []*spec.NIC{n}
	}
	return &spec.Cluster{
		Kind: "microk8s", Name: "k8s", Channel: "1.29/stable", Network: lan,
		ControlPlane: []*spec.Node{{Name: "cp", NICs: nic("192.168.56.10/24", "")}},
		Workers: []*spec.Node{
			{Name: "worker-1", NICs: nic("192.168.56.11/24", "")},
			{Name: "worker-2", NICs: nic("", "080027AABB02")},
		},
		Addons:     []string{"dns"},
		Kubeconfig: filepath.Join(t.TempDir(), ".lab", "kubeconfig"),
	}
}

// freshGuests scripts three new VMs: nothing installed, args lost on join.
func freshGuests(t *testing.T, w *world, nodes ...string) map[string]*fakeGuest {
	gs := map[string]*fakeGuest{}
	for _, n := range []string{"cp", "worker-1", "worker-2"} {
		g := &fakeGuest{name: n, w: w, stdin: map[string]string{}}
		g.rules = []*rule{
			{"snap list microk8s", []reply{{"", 0}}},
			{"snap install", []reply{{
				"microk8s (1.29/stable) v1.29.15 from Canonical** installed\n", 0}}},
			{"status --wait-ready", []reply{{"microk8s is running\n", 0}}},
			{"--node-ip=", []reply{{"changed\n", 0}, {"changed\n", 0}, {"", 0}}},
			{"--advertise-address=", []reply{{"changed\n", 0}, {"", 0}}},
			{"ip -j addr", []reply{{fixture(t, "ip-addr-worker-2.json"), 0}}},
		}
		gs[n] = g
	}
	nodes = append(nodes, "nodes-all.json")
	var lists []reply
	for _, f := range nodes {
		lists = append(lists, reply{fixture(t, f), 0})
	}
	gs["cp"].rules = append(gs["cp"].rules,
		&rule{"kubectl get nodes -o json", lists},
		&rule{"add-node", []reply{{fixture(t, "add-node.json"), 0}}},
		&rule{"microk8s config", []reply{{fixture(t, "config.yaml"), 0}}},
	)
	return gs
}

func guests(gs map[string]*fakeGuest) map[string]provision.Guest {
	out := map[string]provision.Guest{}
	for k, v := range gs {
		out[k] = v
	}
	return out
}

func index(log []string, re string) int {
	rx := regexp.MustCompile(re)
	for i, l := range log {
		if rx.MatchString(l) {
			return i
		}
	}
	return -1
}

func TestEnsureFreshCluster(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	gs := freshGuests(t, w, "nodes-cp.json", "nodes-cp.json")
	res, err := Ensure(context.Background(), c, guests(gs), 16443, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []NodeStatus{{"cp", "Ready", "192.168.56.10"},
		{"worker-1", "Ready", "192.168.56.11"}, {"worker-2", "Ready", "192.168.56.50"}}
	if len(res.Nodes) != 3 {
		t.Fatalf("nodes = %+v", res.Nodes)
	}
	for i := range want {
		if res.Nodes[i] != want[i] {
			t.Errorf("node %d = %+v, want %+v", i, res.Nodes[i], want[i])
		}
	}
	firstJoin := index(w.log, `microk8s join`)
	if firstJoin < 0 {
		t.Fatalf("no join in %q", w.log)
	}
	pins := map[string]string{"cp": "192.168.56.10", "worker-1": "192.168.56.11",
		"worker-2": "192.168.56.50"}
	for n, ip := range pins {
		i := index(w.log, "^"+n+`: .*--node-ip=`+regexp.QuoteMeta(ip))
		if i < 0 || i > firstJoin {
			t.Errorf("%s: node-ip pinned at %d, first join at %d", n, i, firstJoin)
		}
		if i := index(w.log, "^"+n+`: sudo -n snap install microk8s --classic `+
			`--channel=1.29/stable$`); i < 0 {
			t.Errorf("%s: no snap install", n)
		}
		if i := index(w.log, "^"+n+": "+regexp.QuoteMeta(groupCmd)+"$"); i < 0 {
			t.Errorf("%s: login user not added to the microk8s group", n)
		}
	}
	if i := index(w.log, `^cp: .*--advertise-address=192\.168\.56\.10`); i < 0 || i > firstJoin {
		t.Errorf("apiserver advertise-address at %d, first join at %d", i, firstJoin)
	}
	if i := index(w.log, `^worker-1: .*--advertise-address`); i >= 0 {
		t.Errorf("worker got an apiserver arg: %s", w.log[i])
	}
	// add-node lists 10.0.2.15 first; the join must use the lan URL.
	url := `192\.168\.56\.10:25000/TOKEN/1a2b3c4d5e6f`
	joins := map[string]string{
		"worker-1": `^worker-1: sudo -n microk8s join ` + url + ` --worker$`,
		"worker-2": `^worker-2: sudo -n microk8s join ` + url + ` --worker$`,
	}
	for n, re := range joins {
		j := index(w.log, re)
		if j < 0 {
			t.Errorf("%s: no join matching %s in %q", n, re, w.log)
			continue
		}
		// The join rewrote args/kubelet: it is pinned again, then restarted.
		after := index(w.log[j:], "^"+n+`: .*--node-ip=`)
		restart := index(w.log[j:], "^"+n+`: sudo -n snap restart microk8s$`)
		if after < 0 || restart < after {
			t.Errorf("%s: after join pin at %d, restart at %d", n, after, restart)
		}
	}
	if n := strings.Count(strings.Join(w.log, "\n"), "add-node --token"); n != 2 {
		t.Errorf("add-node ran %d times, want 2 (one token per join)", n)
	}
	tok := regexp.MustCompile(`add-node --token ([0-9a-f]+) --format json`)
	for _, l := range w.log {
		if m := tok.FindStringSubmatch(l); m != nil && len(m[1]) != 32 {
			t.Errorf("token %q is not 32 hex characters", m[1])
		}
	}
	for n, g := range gs {
		var hosts string
		for cmd, in := range g.stdin {
			if strings.Contains(cmd, "/etc/hosts") {
				hosts = in
			}
		}
		wantHosts := "# lab begin\n192.168.56.10 cp\n192.168.56.11 worker-1\n" +
			"192.168.56.50 worker-2\n# lab end\n"
		if hosts != wantHosts {
			t.Errorf("%s: /etc/hosts block = %q, want %q", n, hosts, wantHosts)
		}
	}
	if i := index(w.log, `^cp: sudo -n microk8s enable dns$`); i < 0 {
		t.Error("dns addon not enabled")
	}
	checkKubeconfig(t, c.Kubeconfig)
	if len(res.Warnings) != 0 {
		t.Errorf("warnings = %q", res.Warnings)
	}
}

func checkKubeconfig(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode %o, want 600", info.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	want := strings.Replace(fixture(t, "config.yaml"), "https://10.0.2.15:16443",
		"https://127.0.0.1:16443", 1)
	if string(b) != want {
		t.Errorf("kubeconfig =\n%s\nwant\n%s", b, want)
	}
}

func TestEnsureSkipsJoinedNodes(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	gs := freshGuests(t, w)
	for _, g := range gs {
		g.rules[0] = &rule{"snap list microk8s", []reply{{
			"Name      Version   Rev   Tracking     Publisher    Notes\n" +
				"microk8s  v1.29.15  7229  1.29/stable  canonical**  classic\n", 0}}}
		g.rules = append(g.rules, &rule{"status --format yaml", []reply{{
			"This MicroK8s deployment is acting as a node in a cluster.\n" +
				"Please use the control plane node.\n", 0}}})
	}
	if _, err := Ensure(context.Background(), c, guests(gs), 16443, nil); err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`add-node`, `microk8s join`, `snap install`, `remove-node`} {
		if i := index(w.log, re); i >= 0 {
			t.Errorf("ran %q on a joined cluster", w.log[i])
		}
	}
}

// A node the control plane lists but whose VM is new (destroyed and made
// again) is removed from the cluster and joins afresh.
func TestEnsureRejoinsRebuiltNodes(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	gs := freshGuests(t, w) // cp lists all three; no worker says it joined
	if _, err := Ensure(context.Background(), c, guests(gs), 16443, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"worker-1", "worker-2"} {
		rm := index(w.log, `^cp: sudo -n microk8s remove-node '?`+n+`'? --force$`)
		join := index(w.log, `^`+n+`: sudo -n microk8s join .* --worker$`)
		if rm < 0 || join < 0 || rm > join {
			t.Errorf("%s: remove-node at %d, join at %d; want both, remove first:\n%s",
				n, rm, join, strings.Join(w.log, "\n"))
		}
	}
}

// The first interrupt ends the wait for Ready nodes at once.
func TestEnsureWaitStopsOnInterrupt(t *testing.T) {
	PollEvery = time.Hour
	defer func() { PollEvery = 0 }()
	w := &world{}
	c := testCluster(t)
	gs := freshGuests(t, w)
	gs["cp"].rules = append([]*rule{{"kubectl get nodes -o json",
		[]reply{{fixture(t, "nodes-notready.json"), 0}}}}, gs["cp"].rules...)
	for _, g := range gs {
		g.rules = append([]*rule{{"status --format yaml", []reply{{
			"This MicroK8s deployment is acting as a node in a cluster.\n", 0}}}}, g.rules...)
	}
	stop := make(chan struct{})
	close(stop)
	_, err := EnsureWith(context.Background(), c, guests(gs), Options{APIHostPort: 16443,
		Stopping: stop})
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "waiting for") {
		t.Fatalf("err = %v, want an interrupted wait", err)
	}
}

func TestEnsureRefusesNATInternalIP(t *testing.T) {
	PollEvery = 0
	w := &world{}
	c := testCluster(t)
	gs := freshGuests(t, w)
	gs["cp"].rules[len(gs["cp"].rules)-3] = &rule{"kubectl get nodes -o json",
		[]reply{{fixture(t, "nodes-nat.json"), 0}}}
	_, err := Ensure(context.Background(), c, guests(gs), 16443, nil)
	want := "step wait nodes ready: nodes registered with an INTERNAL-IP " +
		"outside network lan (192.168.56.0/24): worker-1 (10.0.2.15), worker-2 (10.0.2.15); " +
		"kubelet took the default-route (NAT) address because --node-ip in " +
		"/var/snap/microk8s/current/args/kubelet did not hold (a join rewrites that file); " +
		"check that file on those nodes, then `sudo snap restart microk8s`"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestEnsureNotReadyBudget(t *testing.T) {
	PollEvery = 0
	NodesReadyBudget = 0
	defer func() { NodesReadyBudget = 5 * 60e9 }()
	w := &world{}
	c := testCluster(t)
	gs := freshGuests(t, w)
	gs["cp"].rules[len(gs["cp"].rules)-3] = &rule{"kubectl get nodes -o json",
		[]reply{{fixture(t, "nodes-notready.json"), 0}}}
	_, err := Ensure(context.Background(), c, guests(gs), 16443, nil)
	want := "step wait nodes ready: nodes not Ready after 0s: worker-1 (NotReady); " +
		"see `microk8s kubectl describe node` on cp"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestJoinURL(t *testing.T) {
	c := testCluster(t)
	cp := netip.MustParseAddr("192.168.56.10")
	tests := []struct {
		name, json, want, err string
	}{
		{"own address", fixture(t, "add-node.json"),
			"192.168.56.10:25000/TOKEN/1a2b3c4d5e6f", ""},
		{"in cidr", `{"token":"T/C","urls":["10.0.2.15:25000/T/C","192.168.56.9:25000/T/C"]}`,
			"192.168.56.9:25000/T/C", ""},
		{"nat only", `{"token":"T/C","urls":["10.0.2.15:25000/T/C"]}`, "",
			"no join URL on network lan (192.168.56.10) among 10.0.2.15:25000/T/C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := joinURL(c, cp, tt.json)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestSetArgScript(t *testing.T) {
	got := setArgScript("kubelet", "--node-ip", "192.168.56.10")
	want := "if ! sudo -n grep -qxF -- --node-ip=192.168.56.10 " +
		"/var/snap/microk8s/current/args/kubelet; then sudo -n sed -i '/^--node-ip[= ]/d' " +
		"/var/snap/microk8s/current/args/kubelet && echo --node-ip=192.168.56.10 | " +
		"sudo -n tee -a /var/snap/microk8s/current/args/kubelet >/dev/null && echo changed; fi"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
