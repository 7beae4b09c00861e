package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/labtool/lab/internal/apply"
	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/labdir"
	"github.com/labtool/lab/internal/provision"
	"github.com/labtool/lab/internal/provision/microk8s"
	"github.com/labtool/lab/internal/spec"
)

// sshBudget is how long lab waits for a guest's SSH server.
const sshBudget = 5 * time.Minute

// sshGuests is the guest side over SSH: one connection per node, reused.
type sshGuests struct {
	lab    *spec.Lab
	labID  string
	dir    *labdir.Dir
	driver drivers.Driver
	key    *provision.Key
	hosts  *provision.KnownHosts
	// digestKey keys the step digests recorded on the VMs.
	digestKey []byte

	mu    sync.Mutex
	conns map[string]*provision.Client
}

// newGuests loads (or makes) the lab's key and opens its known_hosts.
func newGuests(lab *spec.Lab, labID string, dir *labdir.Dir, d drivers.Driver) (Guests,
	error) {
	key, err := provision.LoadKey(lab.Dir) // it keeps the key under <dir>/.lab/
	if err != nil {
		return nil, err
	}
	hosts, err := provision.OpenKnownHosts(dir.File("known_hosts"))
	if err != nil {
		return nil, err
	}
	digestKey, err := dir.DigestKey()
	if err != nil {
		return nil, err
	}
	return &sshGuests{lab: lab, labID: labID, dir: dir, driver: d, key: key, hosts: hosts,
		digestKey: digestKey, conns: map[string]*provision.Client{}}, nil
}

// user is the node's login user.
func (g *sshGuests) user(n *spec.Node) string {
	if n.Image != nil && n.Image.User != "" {
		return n.Image.User
	}
	return "ubuntu"
}

// Seed writes the node's NoCloud seed under .lab/seeds/.
func (g *sshGuests) Seed(_ context.Context, n *spec.Node) (string, error) {
	dir, err := g.dir.Seeds()
	if err != nil {
		return "", err
	}
	ud, err := provision.UserData(n.UserData, g.user(n), g.key.AuthorizedKey(), n.Name)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, g.lab.VMName(n)+".iso")
	instance := g.labID + "-" + n.Name
	if err := provision.WriteSeed(path, ud, instance, n.Name); err != nil {
		return "", err
	}
	return path, nil
}

// Connect dials the node's SSH server, pinned to its VM's UUID.
func (g *sshGuests) Connect(ctx context.Context, n *spec.Node, vm string, port int) error {
	c, err := g.dial(ctx, n, vm, port)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if old := g.conns[n.Name]; old != nil {
		old.Close()
	}
	g.conns[n.Name] = c
	return nil
}

// dial connects to the node, pinned to its VM's current UUID.
func (g *sshGuests) dial(ctx context.Context, n *spec.Node, vm string, port int) (
	*provision.Client, error) {
	uuid, err := g.driver.VMUUID(ctx, vm)
	if err != nil {
		return nil, fmt.Errorf("reading %s's UUID: %w", vm, err)
	}
	t := provision.Target{Node: n.Name, VMUUID: uuid, User: g.user(n),
		Host: "127.0.0.1", Port: port}
	return provision.Dial(ctx, t, g.key, g.hosts, sshBudget)
}

// conn is the node's kept connection.
func (g *sshGuests) conn(node string) (*provision.Client, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.conns[node]
	if c == nil {
		return nil, fmt.Errorf("no SSH connection to %s", node)
	}
	return c, nil
}

// ConfigureNetwork writes and applies the netplan config, then reads the
// guest's addresses and routes back and compares them.
func (g *sshGuests) ConfigureNetwork(ctx context.Context, n *spec.Node) error {
	c, err := g.conn(n.Name)
	if err != nil {
		return err
	}
	macOf := apply.MACOf(g.labID, n)
	cfg := provision.NetplanConfig(g.lab, n, macOf)
	if err := provision.ConfigureNetwork(ctx, c, cfg); err != nil {
		return err
	}
	return provision.CheckNetwork(ctx, c, g.lab, n, macOf)
}

// RunStep runs one provisioning step on the node's connection.
func (g *sshGuests) RunStep(ctx context.Context, n *spec.Node, s *spec.Step,
	out io.Writer) error {
	c, err := g.conn(n.Name)
	if err != nil {
		return err
	}
	return provision.RunStep(ctx, c, s, out)
}

// FormCluster builds the cluster over the members' connections.
func (g *sshGuests) FormCluster(ctx context.Context, c *spec.Cluster, run apply.ClusterRun,
	out func(string) io.Writer) error {
	guests := map[string]provision.Guest{}
	for _, m := range append(append([]*spec.Node{}, c.ControlPlane...), c.Workers...) {
		conn, err := g.conn(m.Name)
		if err != nil {
			return err
		}
		guests[m.Name] = conn
	}
	res, err := microk8s.EnsureWith(ctx, c, guests, microk8s.Options{
		APIHostPort: run.APIPort,
		Out:         out,
		Leaving:     run.Leaving,
		Stopping:    run.Stopping,
		MACOf: func(n *spec.Node, slot int) string {
			return apply.MACOf(g.labID, n)(slot)
		},
	})
	if err != nil {
		return err
	}
	// The cluster's nodes as Kubernetes sees them, on the first control plane.
	w := out(c.ControlPlane[0].Name)
	for _, n := range res.Nodes {
		fmt.Fprintf(w, "cluster %s: node %s %s %s\n", c.Name, n.Name, n.Status, n.InternalIP)
	}
	for _, warning := range res.Warnings {
		fmt.Fprintf(w, "cluster %s: warning: %s\n", c.Name, warning)
	}
	return nil
}

// Forget drops the node's host key pins and its seed.
func (g *sshGuests) Forget(node string) error {
	err := g.hosts.Forget(node)
	if n := g.lab.Node(node); n != nil {
		seed := filepath.Join(g.dir.File("seeds"), g.lab.VMName(n)+".iso")
		if rmErr := os.Remove(seed); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			err = errors.Join(err, rmErr)
		}
	}
	return err
}

// StepDigest is provision.StepDigest under the lab's digest key.
func (g *sshGuests) StepDigest(s *spec.Step) (string, error) {
	return provision.StepDigest(s, g.digestKey)
}

// NetworkConfig is provision.NetplanConfig.
func (g *sshGuests) NetworkConfig(lab *spec.Lab, n *spec.Node, macOf func(int) string) []byte {
	return provision.NetplanConfig(lab, n, macOf)
}

// RouteMetrics is provision.DefaultRouteMetrics.
func (g *sshGuests) RouteMetrics(n *spec.Node) map[int]int {
	return provision.DefaultRouteMetrics(n)
}

// Shell opens an interactive shell on its own connection.
func (g *sshGuests) Shell(ctx context.Context, n *spec.Node, vm string, port int,
	stdio Stdio) (int, error) {
	c, err := g.dial(ctx, n, vm, port)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return interactive(c.SSH(), stdio)
}

// Exec runs a command line on its own connection.
func (g *sshGuests) Exec(ctx context.Context, n *spec.Node, vm string, port int, cmd string,
	stdio Stdio) (int, error) {
	c, err := g.dial(ctx, n, vm, port)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.Run(ctx, cmd, stdio.In, stdio.Out, stdio.Err)
}

// Close ends every kept connection.
func (g *sshGuests) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for _, c := range g.conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
