package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labtool/lab/internal/drivers"
	"github.com/labtool/lab/internal/spec"
)

// recorder keeps every call made, as "subject: Method args".
type recorder struct {
	mu    sync.Mutex
	calls []string
	fail  map[string]error // call -> error to return
	// gate, when set, is called on entry of every call (for overlap tests).
	gate func(call string)
}

func (r *recorder) call(format string, args ...any) error {
	c := fmt.Sprintf(format, args...)
	if r.gate != nil {
		r.gate(c)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
	return r.fail[c]
}

// of returns the calls whose subject is s, in order.
func (r *recorder) of(s string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.calls {
		if strings.HasPrefix(c, s+": ") {
			out = append(out, strings.TrimPrefix(c, s+": "))
		}
	}
	return out
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

type fakeDriver struct{ *recorder }

func (fakeDriver) Name() string { return "fake" }
func (fakeDriver) Capabilities() drivers.Capabilities {
	return drivers.Capabilities{CPUs: drivers.NeedsStop, Memory: drivers.NeedsStop,
		NICs: drivers.NeedsStop, Forwards: drivers.LiveChange, MaxNICs: 8}
}
func (fakeDriver) Inspect(context.Context, *spec.Lab) (*drivers.Live, error) {
	return nil, errors.New("not in tests")
}
func (f fakeDriver) EnsureNetwork(_ context.Context, n *spec.Network) (*drivers.Network, error) {
	return &drivers.Network{Name: n.Name}, f.call("net %s: EnsureNetwork", n.Name)
}
func (fakeDriver) VMUUID(_ context.Context, vm string) (string, error) {
	return "uuid-" + vm, nil
}
func (fakeDriver) RemovableNetworks(context.Context, *spec.Lab, *drivers.Live,
	[]string) ([]*drivers.Network, error) {
	return nil, errors.New("not in tests")
}
func (f fakeDriver) RemoveNetwork(_ context.Context, n *spec.Network, att string) error {
	return f.call("net %s: RemoveNetwork %s", n.Name, att)
}
func (f fakeDriver) Create(_ context.Context, q drivers.CreateRequest) error {
	var fw []string
	for _, x := range q.Forwards {
		fw = append(fw, fmt.Sprintf("%s=%d", x.Name, x.HostPort))
	}
	return f.call("%s: Create nics=%d forwards=%s seed=%s meta=%s", q.VMName, len(q.NICs),
		strings.Join(fw, ","), q.SeedISO, kv(q.Meta))
}
func (f fakeDriver) SetHardware(_ context.Context, vm string, cpus int, mem int64,
	nics []drivers.NICRequest) error {
	return f.call("%s: SetHardware cpus=%d mem=%d nics=%d", vm, cpus, mem, len(nics))
}
func (f fakeDriver) AddForward(_ context.Context, vm string, x drivers.Forward) error {
	return f.call("%s: AddForward %s %d->%d", vm, x.Name, x.HostPort, x.GuestPort)
}
func (f fakeDriver) RemoveForward(_ context.Context, vm string, name string) error {
	return f.call("%s: RemoveForward %s", vm, name)
}
func (f fakeDriver) SetMeta(_ context.Context, vm string, m map[string]string) error {
	return f.call("%s: SetMeta %s", vm, kv(m))
}
func (f fakeDriver) Start(_ context.Context, vm string) error { return f.call("%s: Start", vm) }
func (f fakeDriver) Stop(_ context.Context, vm string, _ time.Duration) error {
	return f.call("%s: Stop", vm)
}
func (f fakeDriver) Delete(_ context.Context, vm string) error { return f.call("%s: Delete", vm) }

func kv(m map[string]string) string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// fakeGuests records guest work under the VM name "<lab>-<node>".
type fakeGuests struct {
	*recorder
	lab string
}

func (g fakeGuests) vm(node string) string { return g.lab + "-" + node }

func (g fakeGuests) Seed(_ context.Context, n *spec.Node) (string, error) {
	return "/seeds/" + n.Name + ".iso", g.call("%s: Seed", g.vm(n.Name))
}
func (g fakeGuests) Connect(_ context.Context, n *spec.Node, vm string, port int) error {
	return g.call("%s: Connect %d", vm, port)
}
func (g fakeGuests) ConfigureNetwork(_ context.Context, n *spec.Node) error {
	return g.call("%s: ConfigureNetwork", g.vm(n.Name))
}
func (g fakeGuests) RunStep(_ context.Context, n *spec.Node, s *spec.Step, out io.Writer) error {
	fmt.Fprintf(out, "hello from %s\npartial", s.Name)
	return g.call("%s: RunStep %s", g.vm(n.Name), s.Name)
}
func (g fakeGuests) FormCluster(_ context.Context, c *spec.Cluster, run ClusterRun,
	out func(string) io.Writer) error {
	fmt.Fprintln(out(c.ControlPlane[0].Name), "cluster formed")
	if len(run.Leaving) > 0 {
		return g.call("cluster %s: FormCluster api=%d leaving=%s", c.Name, run.APIPort,
			strings.Join(run.Leaving, ","))
	}
	return g.call("cluster %s: FormCluster api=%d", c.Name, run.APIPort)
}
func (g fakeGuests) Forget(node string) error { return g.call("%s: Forget", g.vm(node)) }
