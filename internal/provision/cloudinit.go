package provision

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/kdomanski/iso9660"
	"gopkg.in/yaml.v3"
)

// sudoAll is the sudoers rule cloud-init gives lab's login user.
const sudoAll = "ALL=(ALL) NOPASSWD:ALL"

// cloudUser is a cloud-init users entry.
type cloudUser struct {
	Name              string   `yaml:"name"`
	Groups            []string `yaml:"groups,flow"`
	Shell             string   `yaml:"shell"`
	Sudo              string   `yaml:"sudo"`
	LockPasswd        bool     `yaml:"lock_passwd"`
	SSHAuthorizedKeys []string `yaml:"ssh_authorized_keys"`
}

// cloudConfig is lab's own cloud-config, fields in output order.
type cloudConfig struct {
	Hostname          string   `yaml:"hostname"`
	ManageEtcHosts    bool     `yaml:"manage_etc_hosts"`
	Users             []any    `yaml:"users"`
	SSHAuthorizedKeys []string `yaml:"ssh_authorized_keys"`
}

// labCloudConfig renders lab's #cloud-config: the login user with sudo and
// lab's key, the hostname, and /etc/hosts kept by cloud-init.
func labCloudConfig(user, authorizedKey, hostname string) (string, error) {
	cfg := cloudConfig{
		Hostname:          hostname,
		ManageEtcHosts:    true,
		SSHAuthorizedKeys: []string{authorizedKey},
	}
	if user == "" || user == "ubuntu" {
		// "default" is the image's own user, ubuntu, already a sudoer;
		// the top-level keys go to it.
		cfg.Users = []any{"default"}
	} else {
		cfg.Users = []any{cloudUser{
			Name: user, Groups: []string{"sudo"}, Shell: "/bin/bash", Sudo: sudoAll,
			LockPasswd: true, SSHAuthorizedKeys: []string{authorizedKey},
		}}
	}
	var b bytes.Buffer
	b.WriteString("#cloud-config\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return "", fmt.Errorf("rendering cloud-config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("rendering cloud-config: %w", err)
	}
	return b.String(), nil
}

// UserData returns the user-data lab seeds a node with: lab's own
// #cloud-config alone, or, when the Labfile gives user_data, a
// multipart/mixed MIME message of lab's part and the user's part.
func UserData(userData, user, authorizedKey, hostname string) (string, error) {
	own, err := labCloudConfig(user, authorizedKey, hostname)
	if err != nil {
		return "", err
	}
	if userData == "" {
		return own, nil
	}
	var userType string
	switch {
	case strings.HasPrefix(userData, "#cloud-config"):
		userType = "text/cloud-config"
	case strings.HasPrefix(userData, "#!"):
		userType = "text/x-shellscript"
	default:
		first, _, _ := strings.Cut(userData, "\n")
		if len(first) > 40 {
			first = first[:40] + "..."
		}
		return "", fmt.Errorf("user_data must start with #cloud-config (cloud-config) "+
			"or #! (a script); it starts with %q", first)
	}
	return mimeMessage(own, userData, userType), nil
}

// mimeMessage joins lab's cloud-config and the user's part. The boundary is
// a hash of both, so the output is deterministic and cannot occur inside.
func mimeMessage(own, userData, userType string) string {
	sum := sha256.Sum256([]byte(own + "\x00" + userData))
	boundary := "==lab-" + hex.EncodeToString(sum[:12]) + "=="
	var b strings.Builder
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\n", boundary)
	b.WriteString("MIME-Version: 1.0\n\n")
	part := func(ctype, name, extra, body string) {
		fmt.Fprintf(&b, "--%s\n", boundary)
		fmt.Fprintf(&b, "Content-Type: %s; charset=\"utf-8\"\n", ctype)
		b.WriteString("MIME-Version: 1.0\n")
		b.WriteString("Content-Transfer-Encoding: 8bit\n")
		fmt.Fprintf(&b, "Content-Disposition: attachment; filename=\"%s\"\n", name)
		b.WriteString(extra)
		b.WriteString("\n")
		b.WriteString(body)
		if !strings.HasSuffix(body, "\n") {
			b.WriteString("\n")
		}
		// The line break before a boundary belongs to it: one more keeps
		// the body's own last newline.
		b.WriteString("\n")
	}
	part("text/cloud-config", "lab.cfg", "", own)
	extra, name := "", "user-data.sh"
	if userType == "text/cloud-config" {
		// Append the user's lists (users, ssh_authorized_keys...) to lab's
		// instead of replacing them, cloud-init's default.
		extra = "Merge-Type: list(append)+dict(recurse_array)+str()\n"
		name = "user-data.cfg"
	}
	part(userType, name, extra, userData)
	fmt.Fprintf(&b, "--%s--\n", boundary)
	return b.String()
}

// WriteSeed writes a NoCloud seed at path: an ISO9660 volume labelled
// "cidata" holding user-data and meta-data (instance-id, local-hostname).
func WriteSeed(path, userData, instanceID, hostname string) error {
	meta := fmt.Sprintf("instance-id: %s\nlocal-hostname: %s\n", instanceID, hostname)
	w, err := iso9660.NewWriter()
	if err != nil {
		return fmt.Errorf("writing seed %s: %w", path, err)
	}
	defer w.Cleanup()
	files := []struct{ name, data string }{{"user-data", userData}, {"meta-data", meta}}
	for _, f := range files {
		if err := w.AddFile(strings.NewReader(f.data), f.name); err != nil {
			return fmt.Errorf("writing seed %s: %w", path, err)
		}
	}
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing seed: %w", err)
	}
	if err := w.WriteTo(out, "cidata"); err != nil {
		out.Close()
		return fmt.Errorf("writing seed %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("writing seed %s: %w", path, err)
	}
	return nil
}
