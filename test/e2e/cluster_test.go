package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestMicroK8sExample builds examples/microk8s-cluster as it is in the
// repository and checks the cluster from inside and through the kubeconfig.
func TestMicroK8sExample(t *testing.T) {
	w := newWorld(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "microk8s-cluster", "Labfile"))
	if err != nil {
		t.Fatal(err)
	}
	w.writeLabfile(string(src), nil)
	w.must(w.lab("up", "--auto-approve"))
	checkReadyNodes(t, w, 3)

	// A worker destroyed and made again joins afresh: the control plane's
	// entry for its old VM is replaced.
	w.must(w.lab("destroy", "--auto-approve", "worker-2"))
	r := w.must(w.lab("up", "--auto-approve"))
	if !strings.Contains(r.stdout+r.stderr, "removing node worker-2 left by an earlier VM") {
		t.Errorf("up after destroying worker-2 did not remove its old entry:\n%s", r)
	}
	checkReadyNodes(t, w, 3)

	// The login user is in the microk8s group: no sudo needed.
	r = w.must(w.lab("exec", "cp", "--", "microk8s", "status"))
	if !strings.HasPrefix(r.stdout, "microk8s is running\n") {
		t.Errorf("microk8s status as the login user:\n%s", r)
	}

	// From the host: the kubeconfig reaches the API through 127.0.0.1.
	nodes := kubeNodes(t, filepath.Join(w.dir, ".lab", "kubeconfig"))
	if len(nodes) != 3 {
		t.Errorf("API through the kubeconfig lists %d nodes, want 3: %v", len(nodes), nodes)
	}

	if r := w.lab("plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after up: want exit 0, got:\n%s", r)
	}

	// One worker fewer: its VM goes and the control plane forgets it.
	r = w.must(w.lab("up", "--auto-approve", "--var", "workers=1"))
	if !strings.Contains(r.stdout+r.stderr, "removing node worker-2 whose VM is gone") {
		t.Errorf("scaling down did not remove worker-2 from the cluster:\n%s", r)
	}
	checkReadyNodes(t, w, 2)
	if r := w.lab("plan", "--detailed-exitcode", "--var", "workers=1"); r.code != 0 {
		t.Errorf("plan after scaling down: want exit 0, got:\n%s", r)
	}
	w.must(w.lab("destroy", "--auto-approve"))
	if left := w.leftovers(); len(left) > 0 {
		t.Errorf("destroy left behind:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(filepath.Join(w.dir, ".lab", "kubeconfig")); err == nil {
		t.Errorf("the kubeconfig of the destroyed cluster is still there")
	}
}

// checkReadyNodes asks the control plane for n Ready nodes on the
// host-only network.
func checkReadyNodes(t *testing.T, w *world, n int) {
	t.Helper()
	r := w.must(w.lab("exec", "cp", "--", "microk8s", "kubectl", "get", "nodes", "-o", "wide"))
	lan := netip.MustParsePrefix("192.168.56.0/24")
	rows := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(rows) != n+1 {
		t.Fatalf("want a header and %d nodes, got:\n%s", n, r.stdout)
	}
	for _, row := range rows[1:] {
		f := strings.Fields(row)
		addr, err := netip.ParseAddr(f[5])
		if f[1] != "Ready" || err != nil || !lan.Contains(addr) {
			t.Errorf("node not Ready on the lab network: %s", row)
		}
	}
}

// kubeNodes reads a kubeconfig, checks it is private and its server is on
// 127.0.0.1, and lists the nodes' names through the API.
func kubeNodes(t *testing.T, path string) []string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode %v, want 0600", st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Clusters []struct {
			Cluster struct {
				Server string `yaml:"server"`
				CA     string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []struct {
			User struct {
				Cert  string `yaml:"client-certificate-data"`
				Key   string `yaml:"client-key-data"`
				Token string `yaml:"token"`
			} `yaml:"user"`
		} `yaml:"users"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil || len(cfg.Clusters) == 0 ||
		len(cfg.Users) == 0 {
		t.Fatalf("kubeconfig does not parse (%v):\n%s", err, data)
	}
	server := cfg.Clusters[0].Cluster.Server
	if !strings.HasPrefix(server, "https://127.0.0.1:") {
		t.Fatalf("kubeconfig server %q is not on 127.0.0.1", server)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b64(t, cfg.Clusters[0].Cluster.CA))
	tc := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	u := cfg.Users[0].User
	if u.Cert != "" {
		pair, err := tls.X509KeyPair(b64(t, u.Cert), b64(t, u.Key))
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	client := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tc}}
	req, _ := http.NewRequest("GET", server+"/api/v1/nodes", nil)
	if u.Token != "" {
		req.Header.Set("Authorization", "Bearer "+u.Token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("API through the kubeconfig: %v", err)
	}
	defer resp.Body.Close()
	var list struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("API answer (%s): %v", resp.Status, err)
	}
	var names []string
	for _, it := range list.Items {
		names = append(names, it.Metadata.Name)
	}
	return names
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("kubeconfig base64: %v", err)
	}
	return b
}
