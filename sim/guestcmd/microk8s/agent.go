package microk8s

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"
)

// JoinPath is the cluster agent's v2 join endpoint.
const JoinPath = "/cluster/api/v2.0/join"

// Simulator-only agent endpoints joined nodes use to report and to read.
const (
	heartbeatPath = "/cluster/api/v2.0/labsim/heartbeat"
	nodesPath     = "/cluster/api/v2.0/labsim/nodes"
	infoPath      = "/cluster/api/v2.0/labsim/info"
)

// JoinRequest is what a joining node sends.
type JoinRequest struct {
	Token     string `json:"token"`
	Hostname  string `json:"hostname"`
	Worker    bool   `json:"worker"`
	NodeIP    string `json:"node_ip"`
	DefaultIP string `json:"default_ip"`
}

// JoinResponse is the control plane's answer to a good join.
type JoinResponse struct {
	KubeletArgs      string `json:"kubelet_args"`
	HostnameOverride string `json:"hostname_override"`
	Key              string `json:"labsim_key"`
	CA               string `json:"ca"`
}

type heartbeat struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	InternalIP string `json:"internal_ip"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func writeObject(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

func (d *daemon) agentMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+JoinPath, d.handleJoin)
	mux.HandleFunc("POST "+heartbeatPath, d.handleHeartbeat)
	mux.HandleFunc("GET "+nodesPath, d.handleNodes)
	mux.HandleFunc("GET "+infoPath, d.handleInfo)
	return mux
}

// handleJoin checks a join the way the cluster agent does: token, then the
// joiner's address against ours, then whether dqlite knows it already.
func (d *daemon) handleJoin(w http.ResponseWriter, r *http.Request) {
	var req JoinRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "failed to parse request: "+err.Error())
		return
	}
	env, now := d.env, d.env.Clock()
	remote := hostOf(r.RemoteAddr)
	local := ""
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		local = hostOf(a.String())
	}
	if !ValidToken(env, req.Token, now) {
		writeError(w, http.StatusInternalServerError, "invalid token")
		return
	}
	if remote == local {
		writeError(w, http.StatusServiceUnavailable, "the joining node has the same IP ("+
			remote+") as the node we contact")
		return
	}
	if !req.Worker && d.known(remote, req.Hostname) {
		writeError(w, http.StatusInternalServerError, "failed to retrieve dqlite cluster "+
			"nodes: the joining node ("+remote+") is already known to dqlite")
		return
	}
	if !ConsumeToken(env, req.Token, now) {
		writeError(w, http.StatusInternalServerError, "invalid token")
		return
	}
	resp, err := d.admit(req, remote, local)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeObject(w, http.StatusOK, resp)
}

func (d *daemon) known(ip, name string) bool {
	if ip == d.nodeIP {
		return true
	}
	for _, n := range ReadNodes(d.env) {
		if n.JoinIP == ip || (!n.Worker && strings.EqualFold(n.Name, name)) {
			return true
		}
	}
	return false
}

// admit records the joiner and hands it kubelet args: ours, with --node-ip
// set to the address it joined from when we have one (microk8s#3216).
func (d *daemon) admit(req JoinRequest, remote, local string) (JoinResponse, error) {
	env := d.env
	args, _ := env.ReadFile(kubeletArgs)
	text := string(args)
	internal := req.DefaultIP
	if argValue(text, "--node-ip") != "" {
		text = setArg(text, "--node-ip", remote)
		internal = remote
	}
	if internal == "" {
		internal = remote
	}
	now := env.Clock().UTC()
	var resp JoinResponse
	err := withLock(env, func() error {
		nodes := ReadNodes(env)
		var kept []NodeRecord
		for _, n := range nodes {
			if !strings.EqualFold(n.Name, req.Hostname) {
				kept = append(kept, n)
			}
		}
		kept = append(kept, NodeRecord{Name: strings.ToLower(req.Hostname),
			InternalIP: internal, JoinIP: remote, Worker: req.Worker, Joined: now,
			LastSeen: now})
		if err := writeJSON(env, nodesFile, kept); err != nil {
			return err
		}
		st := ReadCluster(env)
		if st.DqliteBind == "127.0.0.1:19001" {
			st.DqliteBind = local + ":19001"
		}
		if len(st.Voters) == 0 {
			st.Voters = []string{st.DqliteBind}
		}
		if !req.Worker {
			st.Voters = append(st.Voters, remote+":19001")
		}
		if st.Key == "" {
			st.Key = randomHex(16)
		}
		resp = JoinResponse{KubeletArgs: text, HostnameOverride: remote, Key: st.Key}
		return writeJSON(env, clusterFile, st)
	})
	ca, _ := env.ReadFile(caCert)
	resp.CA = string(ca)
	return resp, err
}

func (d *daemon) authorized(r *http.Request) bool {
	st := ReadCluster(d.env)
	key := r.Header.Get("X-Labsim-Key")
	return st.Key != "" && key == st.Key
}

func (d *daemon) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	var hb heartbeat
	if err := json.NewDecoder(r.Body).Decode(&hb); err != nil || !d.authorized(r) {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	now := d.env.Clock().UTC()
	_ = withLock(d.env, func() error {
		nodes := ReadNodes(d.env)
		for i := range nodes {
			if strings.EqualFold(nodes[i].Name, hb.Name) {
				nodes[i].LastSeen = now
				if hb.InternalIP != "" {
					nodes[i].InternalIP = hb.InternalIP
				}
			}
		}
		return writeJSON(d.env, nodesFile, nodes)
	})
	writeObject(w, http.StatusOK, map[string]string{"result": "ok"})
}

func (d *daemon) handleNodes(w http.ResponseWriter, r *http.Request) {
	if !d.authorized(r) {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	writeObject(w, http.StatusOK, d.nodeList())
}

func (d *daemon) handleInfo(w http.ResponseWriter, r *http.Request) {
	if !d.authorized(r) {
		writeError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	writeObject(w, http.StatusOK, ReadCluster(d.env))
}

// staleAfter is how long a node may go without a heartbeat and stay Ready.
func (d *daemon) staleAfter() time.Duration {
	return max(d.env.Scaled(40*time.Second), 2*time.Second)
}
