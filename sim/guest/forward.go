package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"runtime"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Forward is one live NAT port forward: a listener on the host's loopback
// that carries each connection to the guest from its NAT engine's side.
type Forward struct {
	Proto     string // tcp | udp
	HostIP    string // always a loopback address
	HostPort  int
	GuestIP   string
	GuestPort int
}

func (f Forward) key() string {
	return fmt.Sprintf("%s %s:%d %s:%d", f.Proto, f.HostIP, f.HostPort, f.GuestIP, f.GuestPort)
}

// LoopbackIP maps a rule's host IP to the only addresses the simulator
// listens on: an empty or any-address IP (all addresses in VirtualBox)
// and any non-loopback address become 127.0.0.1.
func LoopbackIP(hostIP string) (string, bool) {
	ip := net.ParseIP(hostIP)
	if ip != nil && ip.IsLoopback() && ip.To4() != nil {
		return ip.String(), false
	}
	return "127.0.0.1", true
}

// forwarder keeps the set of live listeners equal to the machine's rules.
type forwarder struct {
	netns  string // path of the namespace connections are dialled from
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	live   map[string]io.Closer
	wg     sync.WaitGroup
}

func newForwarder(netns string) *forwarder {
	ctx, cancel := context.WithCancel(context.Background())
	return &forwarder{netns: netns, ctx: ctx, cancel: cancel, live: map[string]io.Closer{}}
}

// sync opens listeners for new forwards and closes the ones gone. A host
// port in use is logged and skipped, as VirtualBox does.
func (f *forwarder) sync(want []Forward) {
	f.mu.Lock()
	defer f.mu.Unlock()
	keep := map[string]bool{}
	for _, fw := range want {
		k := fw.key()
		keep[k] = true
		if _, ok := f.live[k]; ok {
			continue
		}
		c, err := f.open(fw)
		if err != nil {
			log.Printf("warning: NAT port forward %s not set up: %v", k, err)
			continue
		}
		log.Printf("NAT port forward %s listening", k)
		f.live[k] = c
	}
	for k, c := range f.live {
		if !keep[k] {
			c.Close()
			delete(f.live, k)
			log.Printf("NAT port forward %s removed", k)
		}
	}
}

// closeAll closes every listener and waits for their connections to end.
func (f *forwarder) closeAll() {
	f.sync(nil)
	f.cancel()
	f.wg.Wait()
}

func (f *forwarder) open(fw Forward) (io.Closer, error) {
	addr := net.JoinHostPort(fw.HostIP, strconv.Itoa(fw.HostPort))
	guest := net.JoinHostPort(fw.GuestIP, strconv.Itoa(fw.GuestPort))
	if fw.Proto == "udp" {
		pc, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return nil, err
		}
		f.wg.Add(1)
		go func() { defer f.wg.Done(); f.relayUDP(pc, guest) }()
		return pc, nil
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, err
	}
	f.wg.Add(1)
	go func() { defer f.wg.Done(); f.acceptTCP(ln, guest) }()
	return ln, nil
}

// conns tracks a listener's open connections so closing it ends them.
type conns struct {
	mu  sync.Mutex
	set map[net.Conn]bool
}

func (f *forwarder) acceptTCP(ln net.Listener, guest string) {
	open := &conns{set: map[net.Conn]bool{}}
	defer func() {
		open.mu.Lock()
		for c := range open.set {
			c.Close()
		}
		open.mu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.carryTCP(c, guest, open)
		}()
	}
}

func (f *forwarder) carryTCP(c net.Conn, guest string, open *conns) {
	defer c.Close()
	g, err := dialIn(f.ctx, f.netns, "tcp4", guest)
	if err != nil {
		log.Printf("NAT port forward to %s: %v", guest, err)
		return
	}
	defer g.Close()
	open.mu.Lock()
	open.set[c], open.set[g] = true, true
	open.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(g, c)
	go pipe(c, g)
	<-done
	<-done
	open.mu.Lock()
	delete(open.set, c)
	delete(open.set, g)
	open.mu.Unlock()
}

// dialIn connects to addr from a socket created inside the network
// namespace at nsPath. The dialling thread returns to the host namespace
// before it is released; if it cannot, the thread is never reused.
func dialIn(ctx context.Context, nsPath, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		host, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- result{err: fmt.Errorf("opening host namespace: %w", err)}
			return
		}
		defer unix.Close(host)
		target, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("opening guest namespace: %w", err)}
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("entering guest namespace: %w", err)}
			return
		}
		d := net.Dialer{Timeout: dialTimeout}
		c, err := d.DialContext(ctx, network, addr)
		if unix.Setns(host, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// relayUDP carries datagrams from host clients to the guest and back, one
// guest-side socket per client address.
func (f *forwarder) relayUDP(pc net.PacketConn, guest string) {
	var mu sync.Mutex
	peers := map[string]net.Conn{}
	defer func() {
		mu.Lock()
		for _, c := range peers {
			c.Close()
		}
		mu.Unlock()
	}()
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		mu.Lock()
		g, ok := peers[from.String()]
		mu.Unlock()
		if !ok {
			if g, err = dialIn(f.ctx, f.netns, "udp4", guest); err != nil {
				log.Printf("NAT port forward to %s: %v", guest, err)
				continue
			}
			mu.Lock()
			peers[from.String()] = g
			mu.Unlock()
			go backUDP(pc, g, from)
		}
		_, err = g.Write(buf[:n])
		if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, unix.ECONNREFUSED) {
			log.Printf("NAT port forward to %s: %v", guest, err)
		}
	}
}

func backUDP(pc net.PacketConn, g net.Conn, to net.Addr) {
	buf := make([]byte, 65536)
	for {
		n, err := g.Read(buf)
		if errors.Is(err, unix.ECONNREFUSED) {
			continue // an ICMP port unreachable from the guest; keep relaying
		}
		if err != nil {
			return
		}
		if _, err := pc.WriteTo(buf[:n], to); err != nil {
			return
		}
	}
}
