package guest

import (
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inNetns runs fn on a thread inside the named namespace, then returns
// the thread to the test's own namespace.
func inNetns(t *testing.T, ns string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		host, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer unix.Close(host)
		fd, err := unix.Open(filepath.Join("/run/netns", ns), unix.O_RDONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			t.Error(err)
			return
		}
		fn()
		if unix.Setns(host, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	<-done
}

// TestForwardCarriesTCPAndUDP runs echo servers on 10.0.2.15 inside a
// namespace of our own and sends through the forwarder's 127.0.0.1
// listeners.
func TestForwardCarriesTCPAndUDP(t *testing.T) {
	needRoot(t)
	ns := NamesFor(t.TempDir()).GuestNS("f0f0f0f0")
	if err := ensureNetns(ns); err != nil {
		t.Fatal(err)
	}
	defer deleteNetns(ns)
	if _, err := ip("-n", ns, "addr", "add", "10.0.2.15/32", "dev", "lo"); err != nil {
		t.Fatal(err)
	}
	var pc net.PacketConn
	var ln net.Listener
	inNetns(t, ns, func() {
		var err error
		if pc, err = net.ListenPacket("udp4", "10.0.2.15:53"); err != nil {
			t.Error(err)
		}
		if ln, err = net.Listen("tcp4", "10.0.2.15:80"); err != nil {
			t.Error(err)
		}
	})
	if t.Failed() {
		return
	}
	defer pc.Close()
	defer ln.Close()
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("udp:"), buf[:n]...), from)
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("tcp:" + c.RemoteAddr().(*net.TCPAddr).IP.String()))
			c.Close()
		}
	}()
	f := newForwarder(filepath.Join("/run/netns", ns))
	defer f.closeAll()
	tcpPort, udpPort := freePort(t), freePort(t)
	f.sync([]Forward{
		{Proto: "tcp", HostIP: "127.0.0.1", HostPort: tcpPort, GuestIP: "10.0.2.15", GuestPort: 80},
		{Proto: "udp", HostIP: "127.0.0.1", HostPort: udpPort, GuestIP: "10.0.2.15", GuestPort: 53},
	})
	c, err := net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(tcpPort))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	c.Close()
	if got := string(buf[:n]); got != "tcp:10.0.2.15" {
		t.Errorf("TCP through forward: %q", got)
	}
	u, err := net.Dial("udp4", "127.0.0.1:"+strconv.Itoa(udpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	u.Write([]byte("query"))
	u.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err = u.Read(buf)
	if err != nil || string(buf[:n]) != "udp:query" {
		t.Errorf("UDP through forward: %q, %v", buf[:n], err)
	}
}
