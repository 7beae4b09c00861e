package microk8s

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Join exit codes from join.py.
const (
	exitJoinBadInput = 1
	exitJoinIdentity = 4
	exitJoinRefused  = 6
)

// JoinTarget is a parsed `IP:PORT/TOKEN[/CHECK]`.
type JoinTarget struct {
	IP    string
	Port  string
	Token string
	Check string
}

// ParseJoin checks a join string and returns join.py's message if bad.
func ParseJoin(conn string) (JoinTarget, string) {
	parts := strings.Split(conn, "/")
	ep := strings.Split(parts[0], ":")
	if len(parts) < 2 || len(ep) != 2 {
		return JoinTarget{}, "Invalid connection: Expected format: " +
			"<master_IP>:<master_PORT>/<token>[/<fingerprint>]"
	}
	t := JoinTarget{IP: ep[0], Port: ep[1], Token: parts[1]}
	if len(parts) > 2 {
		t.Check = parts[2]
	}
	if net.ParseIP(t.IP) == nil {
		return t, "Invalid master IP"
	}
	if _, err := strconv.Atoi(t.Port); err != nil {
		return t, "Master PORT not a number"
	}
	if len(t.Token) < 32 {
		return t, "Cluster token size should be at least 32 bytes"
	}
	if len(parts) > 2 && len(t.Check) < 12 {
		return t, "Fingerprint should be at least 12 bytes"
	}
	return t, ""
}

type joinOptions struct {
	conn       string
	worker     bool
	skipVerify bool
}

// Join joins this node to the cluster behind the join string.
func Join(env *sys.Env, args []string) int {
	var o joinOptions
	for _, a := range args {
		switch a {
		case "--worker":
			o.worker = true
		case "--controlplane":
			o.worker = false
		case "--skip-verify":
			o.skipVerify = true
		case "--disable-low-memory-guard":
		default:
			if strings.HasPrefix(a, "-") || o.conn != "" {
				env.Errorf("Usage: microk8s join [OPTIONS] CONNECTION\n"+
					"Try 'microk8s join -h' for help.\n\nError: No such option: %s\n", a)
				return 2
			}
			o.conn = a
		}
	}
	if addonEnabled(env, "hostpath-storage") {
		env.Printf("WARNING: Hostpath storage is enabled and is not suitable for multi node " +
			"clusters.\n\n")
	}
	t, problem := ParseJoin(o.conn)
	if problem != "" {
		env.Printf("%s\n", problem)
		return exitJoinBadInput
	}
	env.Printf("Contacting cluster at %s\n", t.IP)
	return runJoin(env, t, o)
}

func runJoin(env *sys.Env, t JoinTarget, o joinOptions) int {
	addr := net.JoinHostPort(t.IP, t.Port)
	timeout := max(env.Scaled(2*time.Minute), time.Second)
	der, err := peerCert(addr, timeout)
	if err != nil {
		env.Errorf("%s", traceback(err))
		return exitJoinBadInput
	}
	if t.Check != "" && !o.skipVerify {
		sum := sha256.Sum256(der)
		if !strings.HasPrefix(hex.EncodeToString(sum[:]), t.Check) {
			env.Printf("Joining cluster failed. Could not verify the identity of %s. Use "+
				"'--skip-verify' to skip server certificate check.\n", t.IP)
			return exitJoinIdentity
		}
	}
	req := JoinRequest{Token: t.Token, Hostname: NodeName(env), Worker: o.worker,
		NodeIP: NodeIPArg(env), DefaultIP: env.DefaultIPv4()}
	resp, code, msg, err := postJoin(addr, req, timeout)
	if err != nil {
		env.Errorf("%s", traceback(err))
		return exitJoinBadInput
	}
	if code != http.StatusOK {
		env.Printf("Connection failed. %s (%d).\n", msg, code)
		return exitJoinRefused
	}
	if err := becomeMember(env, addr, o.worker, resp); err != nil {
		env.Errorf("%v\n", err)
		return exitJoinBadInput
	}
	finishJoin(env, o.worker)
	return 0
}

// peerCert dials the agent and returns its certificate, unverified: the
// check value is what vouches for it, as in join.py.
func peerCert(addr string, timeout time.Duration) ([]byte, error) {
	d := &net.Dialer{Timeout: timeout}
	conn, err := tls.DialWithDialer(d, "tcp", addr,
		&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, errors.New("no certificate from the cluster agent")
	}
	return certs[0].Raw, nil
}

func postJoin(addr string, req JoinRequest, timeout time.Duration) (JoinResponse, int,
	string, error) {
	body, _ := json.Marshal(req)
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, //nolint:gosec
			MinVersion: tls.VersionTLS12}}}
	r, err := client.Post("https://"+addr+JoinPath, "application/json", bytes.NewReader(body))
	if err != nil {
		return JoinResponse{}, 0, "", err
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(r.Body).Decode(&e)
		return JoinResponse{}, r.StatusCode, e.Error, nil
	}
	var resp JoinResponse
	if err := json.NewDecoder(r.Body).Decode(&resp); err != nil {
		return resp, 0, "", fmt.Errorf("reading the join answer: %w", err)
	}
	return resp, r.StatusCode, "", nil
}

// becomeMember rewrites args/kubelet from the answer and records the
// cluster; the restarted daemon then reports to the control plane.
func becomeMember(env *sys.Env, leader string, worker bool, resp JoinResponse) error {
	if err := env.WriteFile(kubeletArgs, []byte(resp.KubeletArgs), 0o660); err != nil {
		return err
	}
	role := "control-plane"
	if worker {
		role = "worker"
		if err := env.WriteFile(workerLock, nil, 0o644); err != nil {
			return err
		}
	}
	st := ClusterState{Role: role, Leader: leader, Key: resp.Key, LeaderCA: resp.CA,
		Created: env.Clock().UTC()}
	if err := withLock(env, func() error { return writeJSON(env, clusterFile, st) }); err != nil {
		return err
	}
	Restart(env)
	return nil
}

func finishJoin(env *sys.Env, worker bool) {
	if worker {
		env.Sleep(3 * time.Second)
		env.Printf("\nThe node has joined the cluster and will appear in the nodes list in " +
			"a few seconds.\n\nThis worker node gets automatically configured with the API " +
			"server endpoints.\nIf the API servers are behind a loadbalancer please set the " +
			"'--refresh-interval' to '0s' in:\n    /var/snap/microk8s/current/args/" +
			"apiserver-proxy\nand replace the API server endpoints with the one provided by " +
			"the loadbalancer in:\n    /var/snap/microk8s/current/args/traefik/provider.yaml" +
			"\n\nSuccessfully joined the cluster.\n")
		return
	}
	env.Printf("Waiting for this node to finish joining the cluster.")
	for i := 0; i < 3; i++ {
		env.Sleep(2 * time.Second)
		env.Printf(" ..")
	}
	env.Printf("\nSuccessfully joined the cluster.\n")
}

// traceback renders a connection failure as join.py's uncaught exception.
func traceback(err error) string {
	last := "OSError: " + err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		last = "ConnectionRefusedError: [Errno 111] Connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH):
		last = "OSError: [Errno 113] No route to host"
	case errors.Is(err, syscall.ENETUNREACH):
		last = "OSError: [Errno 101] Network is unreachable"
	case errors.As(err, &ne) && ne.Timeout():
		last = "TimeoutError: [Errno 110] Connection timed out"
	}
	py := "/snap/microk8s/" + Revision
	click := py + "/usr/lib/python3/dist-packages/click/core.py"
	join := py + "/scripts/wrappers/join.py"
	sock := py + "/usr/lib/python3.8/socket.py"
	frames := [][3]string{
		{join, "1078, in <module>", `join(prog_name="microk8s join")`},
		{click, "1137, in __call__", "return self.main(*args, **kwargs)"},
		{click, "1062, in main", "rv = self.invoke(ctx)"},
		{click, "763, in invoke", "return __callback(*args, **kwargs)"},
		{join, "1069, in join", "join_dqlite(connection_parts, verify, worker)"},
		{join, "907, in join_dqlite",
			"if not verify_peer(master_ip, master_port, fingerprint):"},
		{join, "85, in verify_peer",
			"cert = ssl.get_server_certificate((master_ip, master_port))"},
		{py + "/usr/lib/python3.8/ssl.py", "1483, in get_server_certificate",
			"with  create_connection(addr) as sock:"},
		{sock, "808, in create_connection", "raise err"},
		{sock, "796, in create_connection", "sock.connect(sa)"},
	}
	var b strings.Builder
	b.WriteString("Traceback (most recent call last):\n")
	for _, f := range frames {
		fmt.Fprintf(&b, "  File \"%s\", line %s\n    %s\n", f[0], f[1], f[2])
	}
	return b.String() + last + "\n"
}
