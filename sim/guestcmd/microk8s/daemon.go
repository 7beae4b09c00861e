package microk8s

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// daemon is the snap's services in one process.
type daemon struct {
	env        *sys.Env
	started    time.Time
	readyDelay time.Duration
	nodeIP     string
}

func dlog(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "microk8s: "+format+"\n", a...)
}

// RunDaemon serves the cluster agent, the kube API and the kubelet port
// until SIGTERM. Kubelet's node IP is read once, at start, as kubelet does.
func RunDaemon(env *sys.Env) int {
	if !Installed(env) {
		dlog("microk8s is not installed")
		return 1
	}
	d := &daemon{env: env, started: env.Clock().UTC(),
		readyDelay: env.Scaled(8 * time.Second)}
	d.init()
	cert, err := tls.LoadX509KeyPair(env.Path(serverCert), env.Path(serverKey))
	if err != nil {
		dlog("loading the server certificate: %v", err)
		return 1
	}
	caPEM, _ := env.ReadFile(caCert)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	plain := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	api := plain.Clone()
	api.ClientAuth, api.ClientCAs = tls.VerifyClientCertIfGiven, pool
	go d.serve("0.0.0.0:"+AgentPort(env), plain, d.agentMux())
	go d.serve(fmt.Sprintf("0.0.0.0:%d", APIPort), api, d.apiMux())
	go d.serve(fmt.Sprintf("0.0.0.0:%d", KubeletPort), plain, http.HandlerFunc(
		func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	if st := ReadCluster(env); st.Role != "" {
		go d.heartbeats(st)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT)
	<-sigs
	return 0
}

// init refreshes the server certificate when addresses changed (the
// apiservice-kicker's job) and fixes kubelet's node IP.
func (d *daemon) init() {
	env := d.env
	for i := 0; i < 20 && env.DefaultIPv4() == "" && NodeIPArg(env) == ""; i++ {
		time.Sleep(max(env.Scaled(500*time.Millisecond), 20*time.Millisecond))
	}
	if !certCoversIPs(env) {
		if err := makeServerCert(env); err != nil {
			dlog("refreshing the server certificate: %v", err)
		}
	}
	d.nodeIP = NodeIP(env)
	_ = withLock(env, func() error {
		st := ReadCluster(env)
		if !st.Created.IsZero() {
			return nil
		}
		st.Created = d.started
		return writeJSON(env, clusterFile, st)
	})
}

// NodeIPArg is kubelet's --node-ip, empty when unset.
func NodeIPArg(env *sys.Env) string {
	return ArgValue(env, kubeletArgs, "--node-ip")
}

// serve listens on addr, retrying while the address is not there yet.
func (d *daemon) serve(addr string, cfg *tls.Config, h http.Handler) {
	for {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			dlog("listening on %s: %v", addr, err)
			time.Sleep(time.Second)
			continue
		}
		// Probes of the kubelet port connect without TLS; their handshake
		// errors are noise.
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: log.New(io.Discard, "", 0)}
		err = srv.Serve(tls.NewListener(ln, cfg))
		dlog("serving %s: %v", addr, err)
		time.Sleep(time.Second)
	}
}

// heartbeats report this node's InternalIP to the first node, standing for
// kubelet's node status updates.
func (d *daemon) heartbeats(st ClusterState) {
	every := max(d.env.Scaled(5*time.Second), 100*time.Millisecond)
	client := leaderClient(st)
	for {
		body, _ := json.Marshal(heartbeat{Key: st.Key, Name: NodeName(d.env),
			InternalIP: d.nodeIP})
		req, err := http.NewRequest("POST", "https://"+st.Leader+heartbeatPath,
			bytes.NewReader(body))
		if err == nil {
			req.Header.Set("X-Labsim-Key", st.Key)
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		time.Sleep(every)
	}
}
