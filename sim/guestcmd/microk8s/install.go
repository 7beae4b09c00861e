package microk8s

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Version is the MicroK8s release of the 1.29 track.
const Version = "v1.29.15"

const defaultKubelet = `--kubeconfig=${SNAP_DATA}/credentials/kubelet.config
--cert-dir=${SNAP_DATA}/certs
--client-ca-file=${SNAP_DATA}/certs/ca.crt
--anonymous-auth=false
--root-dir=${SNAP_COMMON}/var/lib/kubelet
--fail-swap-on=false
--eviction-hard="memory.available<100Mi,nodefs.available<1Gi,imagefs.available<1Gi"
--container-runtime-endpoint=${SNAP_COMMON}/run/containerd.sock
--containerd=${SNAP_COMMON}/run/containerd.sock
` + nodeLabels + `
--authentication-token-webhook=true
--read-only-port=0
--serialize-image-pulls=false
`

const nodeLabels = `--node-labels="microk8s.io/cluster=true,` +
	`node.kubernetes.io/microk8s-controlplane=microk8s-controlplane"`

const defaultAPIServer = `--cert-dir=${SNAP_DATA}/certs
--service-cluster-ip-range=10.152.183.0/24
--authorization-mode=RBAC,Node
--service-account-key-file=${SNAP_DATA}/certs/serviceaccount.key
--client-ca-file=${SNAP_DATA}/certs/ca.crt
--tls-cert-file=${SNAP_DATA}/certs/server.crt
--tls-private-key-file=${SNAP_DATA}/certs/server.key
--kubelet-client-certificate=${SNAP_DATA}/certs/server.crt
--kubelet-client-key=${SNAP_DATA}/certs/server.key
--secure-port=16443
--etcd-servers='unix://${SNAP_DATA}/var/kubernetes/backend/kine.sock:12379'
--token-auth-file=${SNAP_DATA}/credentials/known_tokens.csv
--allow-privileged=true
--service-account-issuer='https://kubernetes.default.svc'
--service-account-signing-key-file=${SNAP_DATA}/certs/serviceaccount.key
--event-ttl=5m
--profiling=false
`

const defaultAgent = `--bind=0.0.0.0:25000
--keyfile=${SNAP_DATA}/certs/server.key
--certfile=${SNAP_DATA}/certs/server.crt
--timeout=240
`

// Install lays the snap out: revision folders and `current` links, args,
// certificates, credentials, the microk8s group and the daemon's service.
func Install(env *sys.Env, rev string) error {
	for _, link := range []struct{ dir, target string }{
		{"/snap/microk8s", rev}, {"/var/snap/microk8s", rev}} {
		if err := os.MkdirAll(env.Path(path.Join(link.dir, rev)), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", link.dir, err)
		}
		cur := env.Path(path.Join(link.dir, "current"))
		_ = os.Remove(cur)
		if err := os.Symlink(rev, cur); err != nil {
			return fmt.Errorf("linking %s/current: %w", link.dir, err)
		}
	}
	gid, err := env.EnsureGroup(Group, true)
	if err != nil {
		return fmt.Errorf("creating the %s group: %w", Group, err)
	}
	meta := "name: microk8s\nversion: " + Version + "\nconfinement: classic\nbase: core20\n"
	metaFile := path.Join(SnapDir, "meta", "snap.yaml")
	if err := env.WriteFile(metaFile, []byte(meta), 0o644); err != nil {
		return err
	}
	for file, body := range map[string]string{kubeletArgs: defaultKubelet,
		apiserverArgs: defaultAPIServer, agentArgs: defaultAgent} {
		if err := env.WriteFile(file, []byte(body), 0o660); err != nil {
			return err
		}
	}
	if err := installCredentials(env); err != nil {
		return err
	}
	// The group may read what the snap's commands read, as the snap's
	// configure hook arranges: members run microk8s without sudo.
	for _, dir := range []string{"credentials", "certs", "args"} {
		_ = filepath.WalkDir(env.Path(p(dir)), func(f string, _ fs.DirEntry, err error) error {
			if err == nil {
				_ = os.Chown(f, 0, gid)
			}
			return nil
		})
		_ = os.Chmod(env.Path(p(dir)), 0o770)
	}
	svc := "/usr/lib/labsim/guest microk8sd\n"
	if err := env.WriteFile(ServiceFile, []byte(svc), 0o644); err != nil {
		return err
	}
	return env.WriteFile(installedFile, []byte(Version+"\n"), 0o644)
}

func installCredentials(env *sys.Env) error {
	if err := makeCA(env); err != nil {
		return err
	}
	if err := makeServerCert(env); err != nil {
		return err
	}
	certPEM, keyPEM, err := clientCert(env)
	if err != nil {
		return err
	}
	caPEM, err := env.ReadFile(caCert)
	if err != nil {
		return fmt.Errorf("reading the CA: %w", err)
	}
	cfg := Kubeconfig(caPEM, certPEM, keyPEM, "https://127.0.0.1:16443")
	if err := env.WriteFile(clientConfig, []byte(cfg), 0o660); err != nil {
		return err
	}
	tokens := fmt.Sprintf("%s,admin,admin,\"system:masters\"\n%s,system:kube-proxy,kube-proxy\n",
		randomHex(16), randomHex(16))
	if err := env.WriteFile(knownTokens, []byte(tokens), 0o660); err != nil {
		return err
	}
	return env.WriteFile(tokensFile, nil, 0o660)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Kubeconfig is the admin kubeconfig of client-x509.config.template.
func Kubeconfig(caPEM, certPEM, keyPEM []byte, server string) string {
	b64 := base64.StdEncoding.EncodeToString
	return strings.Join([]string{
		"apiVersion: v1",
		"clusters:",
		"- cluster:",
		"    certificate-authority-data: " + b64(caPEM),
		"    server: " + server,
		"  name: microk8s-cluster",
		"contexts:",
		"- context:",
		"    cluster: microk8s-cluster",
		"    user: admin",
		"  name: microk8s",
		"current-context: microk8s",
		"kind: Config",
		"preferences: {}",
		"users:",
		"- name: admin",
		"  user:",
		"    client-certificate-data: " + b64(certPEM),
		"    client-key-data: " + b64(keyPEM),
	}, "\n") + "\n"
}
