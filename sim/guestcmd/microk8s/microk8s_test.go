package microk8s

import (
	"crypto/tls"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labtool/lab/sim/guestcmd/guesttest"
)

const (
	tok   = "0123456789abcdef0123456789abcdef"
	check = "1a2b3c4d5e6f"
)

func TestFormatAddNode(t *testing.T) {
	all := []string{"10.0.2.15", "192.168.56.10"}
	url := func(ip string) string { return ip + ":25000/" + tok + "/" + check }
	cases := map[string]string{
		"pretty": "From the node you wish to join to this cluster, run the following:\n" +
			"microk8s join " + url("10.0.2.15") + "\n\n" +
			"Use the '--worker' flag to join a node as a worker not running the control " +
			"plane, eg:\nmicrok8s join " + url("10.0.2.15") + " --worker\n\n" +
			"If the node you are adding is not reachable through the default interface you " +
			"can use one of the following:\nmicrok8s join " + url("10.0.2.15") +
			"\nmicrok8s join " + url("192.168.56.10") + "\n",
		"short": "microk8s join " + url("10.0.2.15") + "\nmicrok8s join " +
			url("192.168.56.10") + "\n",
		"token":       tok + "\n",
		"token-check": tok + "/" + check + "\n",
		"json": "{\n  \"token\": \"" + tok + "/" + check + "\",\n  \"urls\": [\n    \"" +
			url("10.0.2.15") + "\",\n    \"" + url("192.168.56.10") + "\"\n  ]\n}\n",
		"yaml": "token: " + tok + "/" + check + "\nurls:\n- " + url("10.0.2.15") + "\n- " +
			url("192.168.56.10") + "\n",
	}
	for format, want := range cases {
		if got := FormatAddNode(format, tok, check, "25000", "10.0.2.15", all); got != want {
			t.Errorf("%s:\n%s\nwant:\n%s", format, got, want)
		}
	}
}

const invalidConn = "Invalid connection: Expected format: " +
	"<master_IP>:<master_PORT>/<token>[/<fingerprint>]"

func TestParseJoin(t *testing.T) {
	cases := map[string]string{
		"10.0.2.15:25000/" + tok + "/" + check: "",
		"10.0.2.15:25000/" + tok:               "",
		"10.0.2.15/" + tok:                     invalidConn,
		"10.0.2.15:25000":                      invalidConn,
		"10.0.2:25000/" + tok:                  "Invalid master IP",
		"10.0.2.15:port/" + tok:                "Master PORT not a number",
		"10.0.2.15:25000/abc":                  "Cluster token size should be at least 32 bytes",
		"10.0.2.15:25000/" + tok + "/abc":      "Fingerprint should be at least 12 bytes",
	}
	for in, want := range cases {
		if _, got := ParseJoin(in); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

func TestArgs(t *testing.T) {
	text := "--a=1\n--node-ip=10.0.0.1\n--b \"x\"\n"
	if got := argValue(text, "--b"); got != "x" {
		t.Errorf("argValue = %q", got)
	}
	if got := setArg(text, "--node-ip", "192.168.56.20"); got !=
		"--a=1\n--node-ip=192.168.56.20\n--b \"x\"\n" {
		t.Errorf("setArg replace = %q", got)
	}
	if got := setArg("--a=1\n", "--node-ip", "1.2.3.4"); got != "--a=1\n--node-ip=1.2.3.4\n" {
		t.Errorf("setArg add = %q", got)
	}
}

func TestHumanDuration(t *testing.T) {
	cases := map[time.Duration]string{45 * time.Second: "45s", 119 * time.Second: "119s",
		5 * time.Minute: "5m", 5*time.Minute + 30*time.Second: "5m30s", 90 * time.Minute: "90m",
		5 * time.Hour: "5h", 5*time.Hour + 3*time.Minute: "5h3m", 30 * time.Hour: "30h",
		50 * time.Hour: "2d2h", 10 * 24 * time.Hour: "10d"}
	for d, want := range cases {
		if got := HumanDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

func TestFormatNodeTable(t *testing.T) {
	now := time.Date(2026, 12, 4, 13, 0, 0, 0, time.UTC)
	list := NodeList{Items: []Node{
		makeNode("cp", "192.168.56.10", false, true, now.Add(-5*time.Minute), now),
		makeNode("worker-1", "10.0.2.15", true, false, now.Add(-30*time.Second), now),
	}}
	for _, n := range list.Items {
		n.Status.NodeInfo["kernelVersion"] = "5.15.0-105-generic"
	}
	want := "NAME       STATUS     ROLES    AGE   VERSION\n" +
		"cp         Ready      <none>   5m    v1.29.15\n" +
		"worker-1   NotReady   <none>   30s   v1.29.15\n"
	if got := FormatNodeTable(list, false, now); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	wide := FormatNodeTable(list, true, now)
	wantWide := "NAME       STATUS     ROLES    AGE   VERSION    INTERNAL-IP     EXTERNAL-IP   " +
		"OS-IMAGE             KERNEL-VERSION       CONTAINER-RUNTIME\n" +
		"cp         Ready      <none>   5m    v1.29.15   192.168.56.10   <none>        " +
		"Ubuntu 22.04.4 LTS   5.15.0-105-generic   containerd://1.6.28\n"
	if !strings.HasPrefix(wide, wantWide) {
		t.Errorf("wide:\n%s\nwant prefix:\n%s", wide, wantWide)
	}
}

func TestStatusFormat(t *testing.T) {
	got := FormatStatus("pretty", []string{"127.0.0.1:19001"}, map[string]bool{"dns": true})
	for _, line := range []string{"microk8s is running\nhigh-availability: no\n" +
		"  datastore master nodes: 127.0.0.1:19001\n  datastore standby nodes: none\n" +
		"addons:\n  enabled:\n    dns                  # (core) CoreDNS\n  disabled:\n",
		"    storage              # (core) Alias to hostpath-storage add-on, deprecated\n"} {
		if !strings.Contains(got, line) {
			t.Errorf("status lacks %q:\n%s", line, got)
		}
	}
	ha := FormatStatus("pretty", []string{"a:19001", "b:19001", "c:19001"}, nil)
	if !strings.Contains(ha, "high-availability: yes\n  datastore master nodes: a:19001 "+
		"b:19001 c:19001\n") {
		t.Errorf("ha status:\n%s", ha)
	}
}

// installed returns a guest with the snap laid out and the given kubelet args.
func installed(t *testing.T, name string) *guesttest.Guest {
	g := guesttest.New(t)
	g.Write(t, "/etc/hostname", name+"\n", 0o644)
	g.Net.AddLink("enp0s3", "08:00:27:aa:bb:00")
	if _, err := g.Net.Run([]string{"addr", "add", "10.0.2.15/24", "dev", "enp0s3"}); err != nil {
		t.Fatal(err)
	}
	if err := Install(g.Env, Revision); err != nil {
		t.Fatal(err)
	}
	return g
}

// agent serves the leader's cluster agent on ip:random with its certificate.
func agent(t *testing.T, g *guesttest.Guest, ip string) string {
	t.Helper()
	d := &daemon{env: g.Env, nodeIP: ip, started: g.Env.Clock()}
	cert, err := tls.LoadX509KeyPair(g.Env.Path(serverCert), g.Env.Path(serverKey))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(d.agentMux())
	srv.Listener = ln
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return ln.Addr().String()
}

func TestJoin(t *testing.T) {
	leader := installed(t, "cp")
	leader.Write(t, kubeletArgs, defaultKubelet+"--node-ip=192.168.56.10\n", 0o660)
	addr := agent(t, leader, "127.0.0.2")
	chk, _ := ServerCheck(leader.Env)
	add := func(token string, ttl int) {
		if err := AddToken(leader.Env, token, ttl, leader.Env.Clock()); err != nil {
			t.Fatal(err)
		}
	}
	join := func(g *guesttest.Guest, args ...string) (int, string, string) {
		g.Out.Reset()
		g.Err.Reset()
		code := Join(g.Env, args)
		return code, g.Out.String(), g.Err.String()
	}
	w1 := installed(t, "worker-1")

	code, out, _ := join(w1, addr+"/"+tok+"/"+chk, "--worker")
	if code != 6 || out != "Contacting cluster at 127.0.0.2\nConnection failed. invalid token "+
		"(500).\n" {
		t.Errorf("unknown token: %d %q", code, out)
	}
	add(tok, -1)
	code, out, _ = join(w1, addr+"/"+tok+"/ffffffffffff")
	if code != 4 || !strings.HasSuffix(out, "Joining cluster failed. Could not verify the "+
		"identity of 127.0.0.2. Use '--skip-verify' to skip server certificate check.\n") {
		t.Errorf("wrong check: %d %q", code, out)
	}
	code, out, _ = join(w1, addr+"/"+tok+"/"+chk, "--worker")
	if code != 0 || !strings.HasSuffix(out, "\nSuccessfully joined the cluster.\n") ||
		!strings.Contains(out, "The node has joined the cluster") {
		t.Errorf("worker join: %d %q", code, out)
	}
	if got := ArgValue(w1.Env, kubeletArgs, "--node-ip"); got != "127.0.0.1" {
		t.Errorf("joiner --node-ip = %q, want its join source 127.0.0.1", got)
	}
	if !IsWorker(w1.Env) {
		t.Error("worker lock missing")
	}
	w2 := installed(t, "worker-2")
	code, out, _ = join(w2, addr+"/"+tok+"/"+chk, "--worker")
	if code != 6 || !strings.HasSuffix(out, "Connection failed. invalid token (500).\n") {
		t.Errorf("single-use token reused: %d %q", code, out)
	}
	nodes := ReadNodes(leader.Env)
	if len(nodes) != 1 || nodes[0].Name != "worker-1" || nodes[0].InternalIP != "127.0.0.1" ||
		!nodes[0].Worker {
		t.Errorf("nodes = %+v", nodes)
	}
	if st := ReadCluster(leader.Env); st.DqliteBind != "127.0.0.2:19001" {
		t.Errorf("dqlite bind = %q", st.DqliteBind)
	}
}

func TestJoinRefusals(t *testing.T) {
	leader := installed(t, "cp")
	self := agent(t, leader, "127.0.0.1")
	add := func() {
		if err := AddToken(leader.Env, tok, 3600, leader.Env.Clock()); err != nil {
			t.Fatal(err)
		}
	}
	add()
	code := Join(leader.Env, []string{self + "/" + tok})
	if out := leader.Out.String(); code != 6 || !strings.HasSuffix(out, "Connection failed. "+
		"the joining node has the same IP (127.0.0.1) as the node we contact (503).\n") {
		t.Errorf("same IP: %d %q", code, out)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	g := installed(t, "w")
	code = Join(g.Env, []string{closed + "/" + tok + "/" + check})
	if code != 1 || !strings.HasSuffix(g.Err.String(), "\n    sock.connect(sa)\n"+
		"ConnectionRefusedError: [Errno 111] Connection refused\n") ||
		!strings.HasPrefix(g.Err.String(), "Traceback (most recent call last):\n") {
		t.Errorf("refused: %d %q", code, g.Err)
	}
}

func TestAlreadyKnown(t *testing.T) {
	leader := installed(t, "cp")
	addr := agent(t, leader, "127.0.0.2")
	g := installed(t, "cp2")
	for i, want := range []string{"Successfully joined the cluster.\n",
		"Connection failed. failed to retrieve dqlite cluster nodes: the joining node " +
			"(127.0.0.1) is already known to dqlite (500).\n"} {
		if err := AddToken(leader.Env, tok, -1, leader.Env.Clock()); err != nil {
			t.Fatal(err)
		}
		g.Out.Reset()
		Join(g.Env, []string{addr + "/" + tok})
		if !strings.HasSuffix(g.Out.String(), want) {
			t.Errorf("join %d: %q, want suffix %q", i, g.Out, want)
		}
	}
	if v := ReadCluster(leader.Env).Voters; strings.Join(v, " ") !=
		"127.0.0.2:19001 127.0.0.1:19001" {
		t.Errorf("voters = %v", v)
	}
}

func TestAddNodeRefusals(t *testing.T) {
	g := installed(t, "cp")
	if code := AddNode(g.Env, []string{"--token", "short"}); code != 1 ||
		g.Out.String() != "Invalid token size.  It must be 32 characters long.\n" {
		t.Errorf("short token: %d %q", code, g.Out)
	}
	g.Out.Reset()
	g.Write(t, workerLock, "", 0o644)
	if code := AddNode(g.Env, nil); code != 1 || g.Out.String() != "This MicroK8s deployment "+
		"is acting as a node in a cluster. Please use the microk8s add-node on the master.\n" {
		t.Errorf("worker: %d %q", code, g.Out)
	}
}

func TestConfigServer(t *testing.T) {
	g := installed(t, "cp")
	if _, err := g.Net.Run([]string{"route", "add", "default", "via", "10.0.2.2", "dev",
		"enp0s3", "proto", "dhcp", "src", "10.0.2.15", "metric", "100"}); err != nil {
		t.Fatal(err)
	}
	Config(g.Env, nil)
	if !strings.Contains(g.Out.String(), "    server: https://10.0.2.15:16443\n") {
		t.Errorf("config:\n%s", g.Out)
	}
	g.Out.Reset()
	g.Write(t, apiserverArgs, defaultAPIServer+"--advertise-address=192.168.56.10\n", 0o660)
	Config(g.Env, nil)
	if !strings.Contains(g.Out.String(), "    server: https://192.168.56.10:16443\n") {
		t.Errorf("config with advertise-address:\n%s", g.Out)
	}
}

func TestRemoveNode(t *testing.T) {
	leader := installed(t, "cp")
	addr := agent(t, leader, "127.0.0.2")
	g := installed(t, "cp2")
	join := func() string {
		if err := AddToken(leader.Env, tok, -1, leader.Env.Clock()); err != nil {
			t.Fatal(err)
		}
		g.Out.Reset()
		Join(g.Env, []string{addr + "/" + tok})
		return g.Out.String()
	}
	if out := join(); !strings.HasSuffix(out, "Successfully joined the cluster.\n") {
		t.Fatalf("join: %q", out)
	}
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{nil, 1, "Please provide the node you want to remove.\n"},
		{[]string{"ghost", "--force"}, 1, "Node ghost does not exist in Kubernetes.\n" +
			"Attempting to remove ghost from dqlite.\n"},
		{[]string{"cp2"}, 1, "Removal failed. Node cp2 is registered with dqlite. Please, " +
			"run first 'microk8s leave' on the departing node. \nIf the node is not " +
			"available anymore and will never attempt to join the cluster in the future " +
			"use the '--force' flag \nto unregister the node while removing it.\n"},
		{[]string{"cp2", "--force"}, 0, ""},
		{[]string{"cp2", "--force"}, 1, "Node cp2 does not exist in Kubernetes.\n" +
			"Attempting to remove cp2 from dqlite.\n"},
	}
	for _, c := range cases {
		leader.Out.Reset()
		if code := RemoveNode(leader.Env, c.args); code != c.code || leader.Out.String() != c.out {
			t.Errorf("remove-node %q: %d %q, want %d %q", c.args, code, leader.Out, c.code, c.out)
		}
	}
	if v := ReadCluster(leader.Env).Voters; strings.Join(v, " ") != "127.0.0.2:19001" {
		t.Errorf("voters after removal = %v", v)
	}
	// The removed node's address may join again.
	if out := join(); !strings.HasSuffix(out, "Successfully joined the cluster.\n") {
		t.Errorf("join after removal: %q", out)
	}
	g.Write(t, workerLock, "", 0o644)
	g.Out.Reset()
	if code := RemoveNode(g.Env, []string{"cp"}); code != 1 || g.Out.String() !=
		"This MicroK8s deployment is acting as a node in a cluster. Please use microk8s leave.\n" {
		t.Errorf("on a worker: %d %q", code, g.Out)
	}
}
