package cloudinit

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/labtool/lab/sim/guestcmd/sys"
)

// Version is the cloud-init release played, as jammy ships it.
const Version = "24.4-0ubuntu1~22.04.1"

// UserSpec is one user to create or update.
type UserSpec struct {
	Name       string
	Gecos      string
	Groups     []string
	Shell      string
	Home       string
	Sudo       []string
	LockPasswd bool
	Keys       []string
	Default    bool
}

// defaultUser is Ubuntu's `default` user from cloud.cfg.
func defaultUser() UserSpec {
	return UserSpec{Name: "ubuntu", Gecos: "Ubuntu", Home: "/home/ubuntu", Shell: "/bin/bash",
		Groups:     []string{"adm", "cdrom", "dip", "lxd", "sudo"},
		Sudo:       []string{"ALL=(ALL) NOPASSWD:ALL"},
		LockPasswd: true, Default: true}
}

// Users lists the users a cloud-config asks for; top-level
// ssh_authorized_keys go to the default user.
func Users(cfg map[string]any) ([]UserSpec, []string) {
	raw, ok := cfg["users"]
	if !ok {
		raw = []any{"default"}
	}
	var items []any
	switch t := raw.(type) {
	case []any:
		items = t
	case string:
		for _, s := range strList(t) {
			items = append(items, s)
		}
	}
	var out []UserSpec
	var problems []string
	for _, it := range items {
		switch t := it.(type) {
		case string:
			if t == "default" {
				out = append(out, defaultUser())
			} else {
				out = append(out, UserSpec{Name: t, Home: "/home/" + t, LockPasswd: true})
			}
		case map[string]any:
			out = append(out, userFromMap(t))
		default:
			problems = append(problems, fmt.Sprintf("Invalid user entry: %v", it))
		}
	}
	keys := strList(cfg["ssh_authorized_keys"])
	for i := range out {
		if out[i].Default {
			out[i].Keys = append(out[i].Keys, keys...)
		}
	}
	return out, problems
}

func userFromMap(m map[string]any) UserSpec {
	u := UserSpec{Name: strOf(m["name"]), Gecos: strOf(m["gecos"]), Shell: strOf(m["shell"]),
		Groups: strList(m["groups"]), LockPasswd: boolOf(m["lock_passwd"], true),
		Keys: strList(m["ssh_authorized_keys"]), Home: strOf(m["homedir"])}
	if u.Home == "" {
		u.Home = "/home/" + u.Name
	}
	switch s := m["sudo"].(type) {
	case string:
		u.Sudo = []string{s}
	case []any:
		u.Sudo = strList(s)
	}
	return u
}

// applyUsers creates users, groups, homes and keys and writes the sudoers file.
func (b *boot) applyUsers(specs []UserSpec) error {
	var rules []UserSpec
	for _, s := range specs {
		if s.Name == "" {
			b.warn("users_groups", "Skipping a user without a name")
			continue
		}
		if err := b.ensureUser(s); err != nil {
			return err
		}
		if len(s.Sudo) > 0 {
			rules = append(rules, s)
		}
	}
	if len(rules) == 0 {
		return nil
	}
	return b.writeSudoers(rules)
}

func (b *boot) ensureUser(s UserSpec) error {
	env := b.env
	u, existed := env.LookupUser(s.Name)
	if !existed {
		shell := s.Shell
		if shell == "" {
			shell = "/bin/sh"
		}
		var err error
		if u, err = env.AddUser(s.Name, s.Gecos, s.Home, shell); err != nil {
			return fmt.Errorf("creating user %s: %w", s.Name, err)
		}
		if err := env.AddToGroups(s.Name, s.Groups); err != nil {
			return fmt.Errorf("adding %s to its groups: %w", s.Name, err)
		}
		if err := b.makeHome(u); err != nil {
			return err
		}
	}
	if len(s.Keys) > 0 {
		return b.writeKeys(u, s.Keys)
	}
	return nil
}

func (b *boot) makeHome(u sys.User) error {
	home := b.env.Path(u.Home)
	if err := os.MkdirAll(home, 0o750); err != nil {
		return fmt.Errorf("creating the home of %s: %w", u.Name, err)
	}
	skel, _ := os.ReadDir(b.env.Path("/etc/skel"))
	for _, f := range skel {
		if data, err := os.ReadFile(b.env.Path(path.Join("/etc/skel", f.Name()))); err == nil {
			dst := path.Join(u.Home, f.Name())
			_ = b.env.WriteFile(dst, data, 0o644)
			chown(b.env.Path(dst), u)
		}
	}
	chown(home, u)
	return nil
}

// writeKeys adds keys to ~/.ssh/authorized_keys (0600, .ssh 0700), keeping
// keys already there.
func (b *boot) writeKeys(u sys.User, keys []string) error {
	dir := path.Join(u.Home, ".ssh")
	file := path.Join(dir, "authorized_keys")
	if err := os.MkdirAll(b.env.Path(dir), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	old, _ := b.env.ReadFile(file)
	have := map[string]bool{}
	lines := []string{}
	for _, l := range strings.Split(string(old), "\n") {
		if strings.TrimSpace(l) != "" {
			have[strings.TrimSpace(l)] = true
			lines = append(lines, l)
		}
	}
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" && !have[k] {
			have[k] = true
			lines = append(lines, k)
		}
	}
	if err := b.env.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	chown(b.env.Path(dir), u)
	chown(b.env.Path(file), u)
	return nil
}

func chown(p string, u sys.User) {
	_ = os.Lchown(p, u.UID, u.GID)
}

// sudoersFile is where cloud-init puts the users' sudo rules.
const sudoersFile = "/etc/sudoers.d/90-cloud-init-users"

func (b *boot) writeSudoers(users []UserSpec) error {
	var sb strings.Builder
	old, err := b.env.ReadFile(sudoersFile)
	if err == nil && len(old) > 0 {
		sb.Write(old)
	} else {
		fmt.Fprintf(&sb, "# Created by cloud-init v. %s on %s\n\n", Version,
			b.env.Clock().UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	}
	for i, u := range users {
		if i > 0 || (err == nil && len(old) > 0) {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "# User rules for %s\n", u.Name)
		for _, r := range u.Sudo {
			fmt.Fprintf(&sb, "%s %s\n", u.Name, r)
		}
	}
	if err := b.env.WriteFile(sudoersFile, []byte(sb.String()), 0o440); err != nil {
		return err
	}
	return b.ensureIncludeDir()
}

// ensureIncludeDir makes /etc/sudoers read /etc/sudoers.d, as cloud-init does.
func (b *boot) ensureIncludeDir() error {
	data, _ := b.env.ReadFile("/etc/sudoers")
	s := string(data)
	if strings.Contains(s, "includedir /etc/sudoers.d") {
		return nil
	}
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	s += "\n# See sudoers(5) for more information on \"#include\" directives:\n\n" +
		"#includedir /etc/sudoers.d\n"
	return b.env.WriteFile("/etc/sudoers", []byte(s), 0o440)
}
