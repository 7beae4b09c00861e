// Package snap plays snapd's `snap` client for the snaps a lab installs:
// install with its texts, badge and exit codes, list, services, restart.
package snap

import "strings"

// Info is a snap in the simulated store.
type Info struct {
	Name      string
	Version   string
	Rev       string
	Publisher string // display name
	Username  string
	Classic   bool
	Notes     string
	Tracks    map[string][2]string // track -> version, revision
	Default   string
}

// store is what the simulated snap store offers.
var store = map[string]Info{
	"microk8s": {Name: "microk8s", Publisher: "Canonical", Username: "canonical",
		Classic: true, Notes: "classic", Default: "1.32",
		Tracks: map[string][2]string{
			"1.26": {"v1.26.15", "6364"}, "1.27": {"v1.27.16", "6973"},
			"1.28": {"v1.28.15", "7227"}, "1.29": {"v1.29.15", "7229"},
			"1.30": {"v1.30.11", "7808"}, "1.31": {"v1.31.7", "7871"},
			"1.32": {"v1.32.3", "7964"}, "latest": {"v1.32.3", "7964"},
		}},
	"core20": {Name: "core20", Publisher: "Canonical", Username: "canonical", Notes: "base",
		Default: "latest", Tracks: map[string][2]string{"latest": {"20240111", "2182"}}},
	"snapd": {Name: "snapd", Publisher: "Canonical", Username: "canonical", Notes: "snapd",
		Default: "latest", Tracks: map[string][2]string{"latest": {"2.61.3", "21184"}}},
	"hello-world": {Name: "hello-world", Publisher: "Canonical", Username: "canonical",
		Notes: "-", Default: "latest", Tracks: map[string][2]string{"latest": {"6.4", "29"}}},
}

// Channel is a parsed track/risk.
type Channel struct {
	Track string
	Risk  string
}

// String is the channel as snap prints it.
func (c Channel) String() string { return c.Track + "/" + c.Risk }

// ParseChannel reads `1.29`, `1.29/stable`, `stable` or `latest/edge`; the
// track is empty when only a risk (or nothing) is given: the snap's default.
func ParseChannel(s string) Channel {
	risks := map[string]bool{"stable": true, "candidate": true, "beta": true, "edge": true}
	if s == "" {
		return Channel{"", "stable"}
	}
	track, risk, ok := strings.Cut(s, "/")
	if !ok {
		if risks[s] {
			return Channel{"", s}
		}
		return Channel{s, "stable"}
	}
	if i := strings.IndexByte(risk, '/'); i >= 0 {
		risk = risk[:i]
	}
	return Channel{track, risk}
}
