package microk8s

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

type apiStatus struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Metadata   map[string]string `json:"metadata"`
	Status     string            `json:"status"`
	Message    string            `json:"message"`
	Reason     string            `json:"reason"`
	Code       int               `json:"code"`
}

func writeStatus(w http.ResponseWriter, code int, reason, msg string) {
	writeObject(w, code, apiStatus{Kind: "Status", APIVersion: "v1",
		Metadata: map[string]string{}, Status: "Failure", Message: msg, Reason: reason,
		Code: code})
}

// apiMux serves the part of the kube API the simulator has: version,
// health and nodes, for a client certificate of the cluster CA or a token.
func (d *daemon) apiMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		writeObject(w, http.StatusOK, map[string]string{"major": "1", "minor": "29",
			"gitVersion": Version, "gitTreeState": "clean", "goVersion": "go1.21.13",
			"compiler": "gc", "platform": "linux/amd64"})
	})
	for _, h := range []string{"/readyz", "/healthz", "/livez"} {
		mux.HandleFunc("GET "+h, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, "ok")
		})
	}
	mux.HandleFunc("GET /api/v1/nodes", func(w http.ResponseWriter, _ *http.Request) {
		list, err := d.clusterNodes()
		if err != nil {
			writeStatus(w, http.StatusServiceUnavailable, "ServiceUnavailable", err.Error())
			return
		}
		writeObject(w, http.StatusOK, list)
	})
	mux.HandleFunc("GET /api/v1/nodes/{name}", func(w http.ResponseWriter, r *http.Request) {
		list, err := d.clusterNodes()
		if err != nil {
			writeStatus(w, http.StatusServiceUnavailable, "ServiceUnavailable", err.Error())
			return
		}
		for _, n := range list.Items {
			if n.Metadata.Name == r.PathValue("name") {
				writeObject(w, http.StatusOK, n)
				return
			}
		}
		writeStatus(w, http.StatusNotFound, "NotFound",
			fmt.Sprintf("nodes %q not found", r.PathValue("name")))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !d.apiAuth(r) {
			writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// apiAuth accepts a verified client certificate or a known bearer token.
func (d *daemon) apiAuth(r *http.Request) bool {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return true
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	data, _ := d.env.ReadFile(knownTokens)
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		if f := strings.Split(sc.Text(), ","); len(f) > 0 && f[0] == tok {
			return true
		}
	}
	return false
}

// clusterNodes answers from our records on the first node and from the
// first node's agent on joined nodes.
func (d *daemon) clusterNodes() (NodeList, error) {
	st := ReadCluster(d.env)
	if st.Role == "" {
		return d.nodeList(), nil
	}
	var list NodeList
	err := leaderGet(st, nodesPath, &list)
	return list, err
}

// leaderClient talks to the first node's agent, trusting its cluster CA.
func leaderClient(st ClusterState) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(st.LeaderCA))
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

func leaderGet(st ClusterState, path string, v any) error {
	req, err := http.NewRequest("GET", "https://"+st.Leader+path, nil)
	if err != nil {
		return fmt.Errorf("asking the control plane: %w", err)
	}
	req.Header.Set("X-Labsim-Key", st.Key)
	resp, err := leaderClient(st).Do(req)
	if err != nil {
		return fmt.Errorf("asking the control plane: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("asking the control plane: %s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
