package microk8s

import (
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// Node is the part of a Kubernetes Node object the simulator fills.
type Node struct {
	Kind       string       `json:"kind,omitempty"`
	APIVersion string       `json:"apiVersion,omitempty"`
	Metadata   NodeMetadata `json:"metadata"`
	Spec       struct{}     `json:"spec"`
	Status     NodeStatus   `json:"status"`
}

// NodeMetadata is a node's metadata.
type NodeMetadata struct {
	Name              string            `json:"name"`
	UID               string            `json:"uid"`
	CreationTimestamp time.Time         `json:"creationTimestamp"`
	Labels            map[string]string `json:"labels"`
}

// NodeStatus holds a node's conditions, addresses and versions.
type NodeStatus struct {
	Conditions []Condition    `json:"conditions"`
	Addresses  []NodeAddress  `json:"addresses"`
	NodeInfo   map[string]any `json:"nodeInfo"`
}

// Condition is one node condition.
type Condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	LastHeartbeatTime  time.Time `json:"lastHeartbeatTime"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
	Reason             string    `json:"reason"`
	Message            string    `json:"message"`
}

// NodeAddress is an address of a node.
type NodeAddress struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}

// NodeList is the answer of /api/v1/nodes.
type NodeList struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Metadata   map[string]string `json:"metadata"`
	Items      []Node            `json:"items"`
}

// Ready reports the node's Ready condition.
func (n Node) Ready() bool {
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

// InternalIP is the node's InternalIP address.
func (n Node) InternalIP() string {
	for _, a := range n.Status.Addresses {
		if a.Type == "InternalIP" {
			return a.Address
		}
	}
	return ""
}

func kernelVersion() string {
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		return strings.TrimSpace(string(data))
	}
	return "5.15.0-105-generic"
}

func makeNode(name, ip string, worker, ready bool, created, seen time.Time) Node {
	role := "node.kubernetes.io/microk8s-controlplane"
	if worker {
		role = "node.kubernetes.io/microk8s-worker"
	}
	labels := map[string]string{"beta.kubernetes.io/arch": "amd64",
		"beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
		"microk8s.io/cluster": "true", role: strings.TrimPrefix(role, "node.kubernetes.io/")}
	cond := Condition{Type: "Ready", Status: "True", LastHeartbeatTime: seen,
		LastTransitionTime: created, Reason: "KubeletReady",
		Message: "kubelet is posting ready status"}
	if !ready {
		cond.Status, cond.Reason = "Unknown", "NodeStatusUnknown"
		cond.Message = "Kubelet stopped posting node status."
	}
	sum := sha256.Sum256([]byte(name))
	uid := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	return Node{Kind: "Node", APIVersion: "v1",
		Metadata: NodeMetadata{Name: name, UID: uid, CreationTimestamp: created, Labels: labels},
		Status: NodeStatus{Conditions: []Condition{cond},
			Addresses: []NodeAddress{{"InternalIP", ip}, {"Hostname", name}},
			NodeInfo: map[string]any{"architecture": "amd64",
				"containerRuntimeVersion": "containerd://1.6.28",
				"kernelVersion":           kernelVersion(), "kubeProxyVersion": Version,
				"kubeletVersion": Version, "operatingSystem": "linux",
				"osImage": "Ubuntu 22.04.4 LTS"}}}
}

// portAnswers reports whether ip:port accepts a TCP connection.
func portAnswers(ip string, port int, timeout time.Duration) bool {
	if ip == "" {
		return false
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, fmt.Sprint(port)), timeout)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// nodeList builds the cluster's nodes as the first control plane sees
// them: a node is Ready when its kubelet port answers at its InternalIP.
func (d *daemon) nodeList() NodeList {
	env := d.env
	now := env.Clock().UTC()
	st := ReadCluster(env)
	selfReady := now.Sub(d.started) >= d.readyDelay &&
		portAnswers(d.nodeIP, KubeletPort, time.Second)
	created := st.Created
	if created.IsZero() {
		created = d.started
	}
	items := []Node{makeNode(NodeName(env), d.nodeIP, false, selfReady, created, now)}
	for _, n := range ReadNodes(env) {
		fresh := now.Sub(n.LastSeen) <= d.staleAfter()
		ready := fresh && portAnswers(n.InternalIP, KubeletPort, time.Second)
		items = append(items, makeNode(n.Name, n.InternalIP, n.Worker, ready, n.Joined,
			n.LastSeen))
	}
	return NodeList{Kind: "NodeList", APIVersion: "v1",
		Metadata: map[string]string{"resourceVersion": fmt.Sprint(now.Unix())}, Items: items}
}
