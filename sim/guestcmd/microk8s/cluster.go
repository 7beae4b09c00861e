package microk8s

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// NodeRecord is a joined node as the control plane keeps it.
type NodeRecord struct {
	Name       string    `json:"name"`
	InternalIP string    `json:"internal_ip"`
	JoinIP     string    `json:"join_ip"`
	Worker     bool      `json:"worker"`
	Joined     time.Time `json:"joined"`
	LastSeen   time.Time `json:"last_seen"`
}

// ClusterState is this node's view of its cluster.
type ClusterState struct {
	// Role is "" on the first node, "worker" or "control-plane" on joiners.
	Role       string    `json:"role"`
	Leader     string    `json:"leader,omitempty"`
	LeaderCA   string    `json:"leader_ca,omitempty"`
	Key        string    `json:"key"`
	DqliteBind string    `json:"dqlite_bind"`
	Voters     []string  `json:"voters"`
	Created    time.Time `json:"created"`
}

// withLock runs fn holding the snap data lock, so the daemon and the
// commands do not interleave read-modify-write cycles.
func withLock(env *sys.Env, fn func() error) error {
	lock := env.Path(p("var", "labsim", ".lock"))
	if err := os.MkdirAll(env.Path(p("var", "labsim")), 0o755); err != nil {
		return fmt.Errorf("creating the state folder: %w", err)
	}
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o660)
	if err != nil {
		return fmt.Errorf("opening %s: %w", lock, err)
	}
	defer f.Close()
	groupOwn(env, p("var", "labsim", ".lock"))
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", lock, err)
	}
	defer unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return fn()
}

func readJSON(env *sys.Env, file string, v any) {
	if data, err := env.ReadFile(file); err == nil {
		_ = json.Unmarshal(data, v)
	}
}

func writeJSON(env *sys.Env, file string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", file, err)
	}
	if err := env.WriteFile(file, data, 0o660); err != nil {
		return err
	}
	groupOwn(env, file)
	return nil
}

// groupOwn gives a snap data file to the microk8s group, as the snap does,
// so members run microk8s commands without sudo.
func groupOwn(env *sys.Env, file string) {
	if g, ok := env.LookupGroup(Group); ok && os.Geteuid() == 0 {
		_ = os.Chown(env.Path(file), 0, g.GID)
	}
}

// ReadCluster reads cluster.json, filling the first node's defaults.
func ReadCluster(env *sys.Env) ClusterState {
	var st ClusterState
	readJSON(env, clusterFile, &st)
	if st.DqliteBind == "" {
		st.DqliteBind = "127.0.0.1:19001"
	}
	return st
}

// ReadNodes reads the joined nodes the control plane recorded.
func ReadNodes(env *sys.Env) []NodeRecord {
	var nodes []NodeRecord
	readJSON(env, nodesFile, &nodes)
	return nodes
}

// AddToken stores a join token; ttl <= 0 makes it single use.
func AddToken(env *sys.Env, token string, ttl int, now time.Time) error {
	line := token
	if ttl > 0 {
		line += "|" + strconv.FormatInt(now.Add(time.Duration(ttl)*time.Second).Unix(), 10)
	}
	return withLock(env, func() error {
		old, _ := env.ReadFile(tokensFile)
		return env.WriteFile(tokensFile, append(old, []byte(line+"\n")...), 0o660)
	})
}

// ConsumeToken checks a token and deletes it if it is single use.
func ConsumeToken(env *sys.Env, token string, now time.Time) bool {
	ok := false
	_ = withLock(env, func() error {
		data, _ := env.ReadFile(tokensFile)
		var keep []string
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line == "" {
				continue
			}
			tok, exp, hasExp := strings.Cut(line, "|")
			if hasExp {
				t, _ := strconv.ParseInt(exp, 10, 64)
				if now.Unix() > t {
					continue
				}
			}
			if tok == token && !ok {
				ok = true
				if !hasExp {
					continue
				}
			}
			keep = append(keep, line)
		}
		body := strings.Join(keep, "\n")
		if body != "" {
			body += "\n"
		}
		return env.WriteFile(tokensFile, []byte(body), 0o660)
	})
	return ok
}

// ValidToken reports whether a token is on file and not expired.
func ValidToken(env *sys.Env, token string, now time.Time) bool {
	data, _ := env.ReadFile(tokensFile)
	for _, line := range strings.Split(string(data), "\n") {
		tok, exp, hasExp := strings.Cut(strings.TrimSpace(line), "|")
		if tok == "" || tok != token {
			continue
		}
		if hasExp {
			t, _ := strconv.ParseInt(exp, 10, 64)
			if now.Unix() > t {
				continue
			}
		}
		return true
	}
	return false
}
