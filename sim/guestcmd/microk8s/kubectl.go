package microk8s

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

type kubeconfig struct {
	Clusters []struct {
		Cluster struct {
			CA     string `yaml:"certificate-authority-data"`
			Server string `yaml:"server"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		User struct {
			Cert string `yaml:"client-certificate-data"`
			Key  string `yaml:"client-key-data"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// apiClient is an HTTPS client for the local API with the admin credentials.
func apiClient(env *sys.Env) (*http.Client, string, error) {
	data, err := env.ReadFile(clientConfig)
	if err != nil {
		return nil, "", fmt.Errorf("reading the kubeconfig: %w", err)
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil || len(kc.Clusters) == 0 ||
		len(kc.Users) == 0 {
		return nil, "", errors.New("the kubeconfig has no cluster or user")
	}
	dec := base64.StdEncoding.DecodeString
	ca, _ := dec(kc.Clusters[0].Cluster.CA)
	certPEM, _ := dec(kc.Users[0].User.Cert)
	keyPEM, _ := dec(kc.Users[0].User.Key)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, "", fmt.Errorf("loading the admin certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair},
			MinVersion: tls.VersionTLS12}}}
	return client, kc.Clusters[0].Cluster.Server, nil
}

// GetNodes asks the local API for the nodes.
func GetNodes(env *sys.Env) (NodeList, error) {
	var list NodeList
	client, server, err := apiClient(env)
	if err != nil {
		return list, err
	}
	resp, err := client.Get(server + "/api/v1/nodes")
	if err != nil {
		return list, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return list, fmt.Errorf("listing nodes: %s", resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	return list, err
}

// Kubectl runs the kubectl subset: get nodes and version.
func Kubectl(env *sys.Env, args []string) int {
	if IsWorker(env) {
		return workerRefusal(env, "kubectl")
	}
	var words []string
	output := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" && i+1 < len(args):
			i++
			output = args[i]
		case strings.HasPrefix(a, "-o"):
			output = strings.TrimPrefix(strings.TrimPrefix(a, "-o"), "=")
		case strings.HasPrefix(a, "--output="):
			output = strings.TrimPrefix(a, "--output=")
		default:
			words = append(words, a)
		}
	}
	if len(words) == 0 {
		env.Printf("kubectl controls the Kubernetes cluster manager.\n")
		return 0
	}
	switch words[0] {
	case "version":
		env.Printf("Client Version: %s\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3"+
			"\nServer Version: %s\n", Version, Version)
		return 0
	case "get":
		return kubectlGet(env, words[1:], output)
	}
	env.Errorf("error: unknown command \"%s\" for \"kubectl\"\n", words[0])
	return 1
}

func kubectlGet(env *sys.Env, words []string, output string) int {
	if len(words) == 0 {
		env.Errorf("error: Required resource not specified.\n")
		return 1
	}
	switch words[0] {
	case "nodes", "node", "no":
	default:
		env.Errorf("error: the server doesn't have a resource type \"%s\"\n", words[0])
		return 1
	}
	list, err := GetNodes(env)
	if err != nil {
		env.Errorf("The connection to the server 127.0.0.1:16443 was refused - did you " +
			"specify the right host or port?\n")
		return 1
	}
	if len(words) > 1 {
		for _, n := range list.Items {
			if n.Metadata.Name == words[1] {
				list.Items = []Node{n}
				return printNodes(env, list, output, true)
			}
		}
		env.Errorf("Error from server (NotFound): nodes \"%s\" not found\n", words[1])
		return 1
	}
	return printNodes(env, list, output, false)
}

func printNodes(env *sys.Env, list NodeList, output string, single bool) int {
	now := env.Clock()
	switch output {
	case "json", "yaml":
		var v any = map[string]any{"apiVersion": "v1", "kind": "List",
			"metadata": map[string]string{"resourceVersion": ""}, "items": list.Items}
		if single {
			v = list.Items[0]
		}
		raw, _ := json.Marshal(v)
		var generic any
		_ = json.Unmarshal(raw, &generic)
		if output == "yaml" {
			out, _ := yaml.Marshal(generic)
			env.Printf("%s", out)
			return 0
		}
		out, _ := json.MarshalIndent(generic, "", "    ")
		env.Printf("%s\n", out)
		return 0
	case "name":
		for _, n := range list.Items {
			env.Printf("node/%s\n", n.Metadata.Name)
		}
		return 0
	case "", "wide":
	default:
		env.Errorf("error: unable to match a printer suitable for the output format \"%s\"\n",
			output)
		return 1
	}
	env.Printf("%s", FormatNodeTable(list, output == "wide", now))
	return 0
}

// FormatNodeTable renders `kubectl get nodes` [-o wide] with kubectl's
// tabwriter settings.
func FormatNodeTable(list NodeList, wide bool, now time.Time) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 6, 4, 3, ' ', 0)
	head := "NAME\tSTATUS\tROLES\tAGE\tVERSION"
	if wide {
		head += "\tINTERNAL-IP\tEXTERNAL-IP\tOS-IMAGE\tKERNEL-VERSION\tCONTAINER-RUNTIME"
	}
	fmt.Fprintln(w, head)
	for _, n := range list.Items {
		status := "NotReady"
		if n.Ready() {
			status = "Ready"
		}
		row := fmt.Sprintf("%s\t%s\t<none>\t%s\t%v", n.Metadata.Name, status,
			HumanDuration(now.Sub(n.Metadata.CreationTimestamp)), n.Status.NodeInfo["kubeletVersion"])
		if wide {
			row += fmt.Sprintf("\t%s\t<none>\t%v\t%v\t%v", n.InternalIP(),
				n.Status.NodeInfo["osImage"], n.Status.NodeInfo["kernelVersion"],
				n.Status.NodeInfo["containerRuntimeVersion"])
		}
		fmt.Fprintln(w, row)
	}
	_ = w.Flush()
	return b.String()
}

// HumanDuration is kubectl's age format.
func HumanDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 0:
		return "<invalid>"
	case s < 120:
		return fmt.Sprintf("%ds", s)
	}
	m := s / 60
	switch {
	case m < 10:
		if s%60 == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, s%60)
	case m < 180:
		return fmt.Sprintf("%dm", m)
	}
	h := m / 60
	switch {
	case h < 8:
		if m%60 == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m%60)
	case h < 48:
		return fmt.Sprintf("%dh", h)
	case h < 192:
		if h%24 == 0 {
			return fmt.Sprintf("%dd", h/24)
		}
		return fmt.Sprintf("%dd%dh", h/24, h%24)
	case h < 24*365*2:
		return fmt.Sprintf("%dd", h/24)
	}
	return fmt.Sprintf("%dy", h/24/365)
}
