package labfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/labtool/lab/internal/spec"
)

// validCases are the Labfiles under testdata/valid, with the options each
// is loaded with.
var validCases = map[string]Options{
	"full":             {Vars: map[string]string{"desktop_password": "pa55word"}},
	"microk8s-cluster": {},
	"features":         {Env: []string{"LAB_VAR_big=true", "PATH=/usr/bin"}},
}

// TestValidLabfiles loads each testdata/valid/<case>/Labfile from inside its
// folder, as `lab` run there would, and compares the whole decoded spec, as
// JSON with the case's folder written $DIR, with want.json beside it.
func TestValidLabfiles(t *testing.T) {
	for name, opts := range validCases {
		t.Run(name, func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join("testdata", "valid", name))
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			lab, err := Load("Labfile", opts)
			if err != nil {
				var buf bytes.Buffer
				_ = err.(Diagnostics).Write(&buf, nil)
				t.Fatalf("Load: %s", buf.String())
			}
			js, err := json.MarshalIndent(lab, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(string(js), dir, "$DIR") + "\n"
			golden := "want.json"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("spec of %s differs from want.json:\n%s", name, got)
			}
		})
	}
}

// TestMicroK8sExample spells out the facts the rest of lab relies on, so a
// careless -update of want.json cannot hide a regression in them.
func TestMicroK8sExample(t *testing.T) {
	dir, err := filepath.Abs("testdata/valid/microk8s-cluster")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := Load(filepath.Join(dir, "Labfile"), Options{Env: []string{"LAB_VAR_workers=3"}})
	if err != nil {
		t.Fatal(err)
	}
	var names, addrs []string
	for _, n := range lab.Nodes {
		names = append(names, lab.VMName(n))
		nic := n.NICs[0]
		addrs = append(addrs, fmt.Sprintf("%d:%s:%s", nic.Slot, nic.Network.Name, nic.Address))
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"vm names", names, []string{"k8s-cp", "k8s-worker-1", "k8s-worker-2", "k8s-worker-3"}},
		{"nics", addrs, []string{"2:lan:192.168.56.10/24", "2:lan:192.168.56.20/24",
			"2:lan:192.168.56.21/24", "2:lan:192.168.56.22/24"}},
		{"memory", []int64{lab.Nodes[0].MemoryMiB, lab.Nodes[1].MemoryMiB}, []int64{4096, 2048}},
		{"index", []int{lab.Nodes[0].Index, lab.Nodes[3].Index}, []int{-1, 2}},
		{"control plane", lab.Clusters[0].ControlPlane[0], lab.Nodes[0]},
		{"workers", lab.Clusters[0].Workers, lab.Nodes[1:]},
		{"network", lab.Clusters[0].Network, lab.Networks[0]},
		{"kubeconfig", lab.Clusters[0].Kubeconfig, filepath.Join(dir, ".lab", "kubeconfig")},
		{"channel", lab.Clusters[0].Channel, "1.29/stable"},
		{"step", *lab.Nodes[0].Steps[0], spec.Step{Type: "shell", Name: "motd",
			Run: spec.RunOnChange, Inline: []string{"echo 'control plane of the k8s lab' > /etc/motd"},
			Pos: spec.Pos{File: filepath.Join(dir, "Labfile"), Line: 34, Col: 3}}},
		{"forwards", len(lab.Nodes[0].Forwards), 0},
		{"default route", lab.Nodes[2].NICs[0].DefaultRoute, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %+v, want %+v", c.what, c.got, c.want)
		}
	}
}
