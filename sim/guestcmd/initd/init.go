package initd

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Exit codes the VM runtime reads: 0 powered off or halted, 10 reboot.
const (
	ExitPoweroff = 0
	ExitReboot   = 10
)

// Paths init uses.
const (
	guestBin   = "/usr/lib/labsim/guest"
	cloudInit  = "/usr/bin/cloud-init"
	sshdBinary = "/usr/sbin/sshd"
	sshDir     = "/etc/ssh"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin"

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "init: "+format+"\n", a...)
}

// Main is PID 1. It returns the code the guest stops with.
func Main(env *sys.Env, _ []string) int {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2,
		unix.SIGHUP, unix.SIGINT)
	prepare(env)
	p := newProcs(childEnv())
	sup := &supervisor{procs: p, backoff: max(env.Scaled(time.Second), 50*time.Millisecond),
		running: map[string]*daemon{}}
	booted := make(chan struct{})
	go func() {
		bootSequence(env, p, sup)
		close(booted)
	}()
	tick := time.NewTicker(max(env.Scaled(2*time.Second), 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case s := <-sigs:
			switch s {
			case unix.SIGCHLD:
				p.reap()
			case unix.SIGHUP:
				if isClosed(booted) {
					sup.sync(ReadServices(ServicesDir))
				}
			case unix.SIGTERM, unix.SIGINT:
				return shutdown(env, p, sup, ExitReboot)
			case unix.SIGUSR1, unix.SIGUSR2:
				return shutdown(env, p, sup, ExitPoweroff)
			}
		case <-tick.C:
			p.reap()
			if isClosed(booted) {
				sup.sync(ReadServices(ServicesDir))
			}
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") {
			out = append(out, kv)
		}
	}
	return append(out, "PATH="+defaultPath, "HOME=/root", "LANG=C.UTF-8")
}

// prepare mounts what a fresh mount namespace lacks and clears per-boot state.
func prepare(env *sys.Env) {
	if _, err := os.Stat("/proc/self"); err != nil {
		_ = os.MkdirAll("/proc", 0o555)
		if err := unix.Mount("proc", "/proc", "proc", 0, ""); err != nil {
			logf("mounting /proc: %v", err)
		}
	}
	if _, err := os.Stat("/sys/class"); err != nil {
		_ = unix.Mount("sysfs", "/sys", "sysfs", 0, "")
	}
	if _, err := os.Stat("/dev/pts/ptmx"); err != nil {
		_ = os.MkdirAll("/dev/pts", 0o755)
		_ = unix.Mount("devpts", "/dev/pts", "devpts", 0, "newinstance,ptmxmode=0666,mode=620")
	}
	if v := os.Getenv("LAB_SIM_TIME_SCALE"); v != "" {
		_ = env.WriteFile(sys.ScaleFile, []byte(v+"\n"), 0o644)
	}
	_ = os.MkdirAll("/run/sshd", 0o755)
	_ = os.Chmod("/run/sshd", 0o755)
	_ = os.RemoveAll("/run/cloud-init")
	_ = os.RemoveAll(PidDir)
	if data, err := os.ReadFile("/etc/hostname"); err == nil {
		if h := strings.TrimSpace(string(data)); h != "" {
			_ = unix.Sethostname([]byte(h))
		}
	}
}

// bootSequence stands for systemd's ordering: network and cloud-init's
// early stages, then sshd, then cloud-init's final stage and the daemons.
func bootSequence(env *sys.Env, p *procs, sup *supervisor) {
	if _, err := p.run([]string{sys.IPBinary, "link", "set", "lo", "up"}); err != nil {
		logf("bringing lo up: %v", err)
	}
	env.Sleep(1500 * time.Millisecond)
	if _, err := p.run([]string{cloudInit, "init"}); err != nil {
		logf("running cloud-init init: %v", err)
	}
	env.Sleep(1500 * time.Millisecond)
	host, _ := os.Hostname()
	if err := EnsureHostKeys(sshDir, "root@"+host); err != nil {
		logf("%v", err)
	}
	sup.add("sshd", []string{sshdBinary, "-D", "-e"})
	if _, _, err := p.start([]string{cloudInit, "modules", "--mode", "final"}); err != nil {
		logf("running cloud-init final: %v", err)
	}
	sup.sync(ReadServices(ServicesDir))
}

// shutdown stops the daemons, waits the scaled shutdown time, kills what
// is left and reaps it.
func shutdown(env *sys.Env, p *procs, sup *supervisor, code int) int {
	sup.stopAll()
	_ = unix.Kill(-1, unix.SIGTERM)
	env.Sleep(time.Second)
	_ = unix.Kill(-1, unix.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for p.reap() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	unix.Sync()
	return code
}
