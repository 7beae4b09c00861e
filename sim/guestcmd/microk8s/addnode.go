package microk8s

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// AddNodeOptions are add-node's flags.
type AddNodeOptions struct {
	Token  string
	TTL    int
	Format string
}

func parseAddNode(args []string) (AddNodeOptions, string) {
	o := AddNodeOptions{TTL: -1, Format: "pretty"}
	for i := 0; i < len(args); i++ {
		name, val, hasVal := strings.Cut(args[i], "=")
		need := func() (string, bool) {
			if hasVal {
				return val, true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		var ok bool
		switch name {
		case "-t", "--token":
			o.Token, ok = need()
		case "-l", "--token-ttl":
			var s string
			s, ok = need()
			n, err := strconv.Atoi(s)
			ok, o.TTL = ok && err == nil, n
		case "--format":
			o.Format, ok = need()
			switch o.Format {
			case "pretty", "short", "token", "token-check", "json", "yaml":
			default:
				return o, fmt.Sprintf("Error: Invalid value for '--format': '%s' is not one "+
					"of 'pretty', 'short', 'token', 'token-check', 'json', 'yaml'.", o.Format)
			}
		default:
			return o, "Error: No such option: " + name
		}
		if !ok {
			return o, "Error: Option '" + name + "' requires an argument."
		}
	}
	return o, ""
}

// AddNode prints a join string with a new token.
func AddNode(env *sys.Env, args []string) int {
	o, problem := parseAddNode(args)
	if problem != "" {
		env.Errorf("Usage: microk8s add-node [OPTIONS]\nTry 'microk8s add-node -h' for help."+
			"\n\n%s\n", problem)
		return 2
	}
	if IsWorker(env) {
		env.Printf("This MicroK8s deployment is acting as a node in a cluster. " +
			"Please use the microk8s add-node on the master.\n")
		return 1
	}
	if env.Exists(stoppedLock) {
		env.Printf("microk8s is not running, try microk8s start\n")
		return 1
	}
	if o.Token == "" {
		o.Token = randomHex(16)
	} else if len(o.Token) < 32 {
		env.Printf("Invalid token size.  It must be 32 characters long.\n")
		return 1
	}
	check, err := ServerCheck(env)
	if err != nil {
		env.Errorf("%v\n", err)
		return 1
	}
	if err := AddToken(env, o.Token, o.TTL, env.Clock()); err != nil {
		env.Errorf("%v\n", err)
		return 1
	}
	def, all := env.DefaultIPv4(), env.HostIPv4s()
	env.Printf("%s", FormatAddNode(o.Format, o.Token, check, AgentPort(env), def, all))
	return 0
}

// FormatAddNode renders add-node's output. def is the default-route
// address; all are every address in `hostname -I` order.
func FormatAddNode(format, token, check, port, def string, all []string) string {
	if def == "" && len(all) > 0 {
		def = all[0]
	}
	tc := token + "/" + check
	url := func(ip string) string { return ip + ":" + port + "/" + tc }
	var others []string
	for _, ip := range all {
		if ip != def {
			others = append(others, ip)
		}
	}
	var b strings.Builder
	switch format {
	case "token":
		return token + "\n"
	case "token-check":
		return tc + "\n"
	case "short":
		fmt.Fprintf(&b, "microk8s join %s\n", url(def))
		for _, ip := range others {
			fmt.Fprintf(&b, "microk8s join %s\n", url(ip))
		}
		return b.String()
	case "json", "yaml":
		urls := []string{url(def)}
		for _, ip := range others {
			urls = append(urls, url(ip))
		}
		if format == "yaml" {
			b.WriteString("token: " + tc + "\nurls:\n")
			for _, u := range urls {
				b.WriteString("- " + u + "\n")
			}
			return b.String()
		}
		out, _ := json.MarshalIndent(map[string]any{"token": tc, "urls": urls}, "", "  ")
		return string(out) + "\n"
	}
	fmt.Fprintf(&b, "From the node you wish to join to this cluster, run the following:\n"+
		"microk8s join %s\n\n", url(def))
	fmt.Fprintf(&b, "Use the '--worker' flag to join a node as a worker not running the "+
		"control plane, eg:\nmicrok8s join %s --worker\n\n", url(def))
	b.WriteString("If the node you are adding is not reachable through the default " +
		"interface you can use one of the following:\n")
	for _, ip := range all {
		fmt.Fprintf(&b, "microk8s join %s\n", url(ip))
	}
	return b.String()
}
